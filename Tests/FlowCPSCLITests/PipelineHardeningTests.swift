import Foundation
import Imaging
import Store
import Testing

/// The pipeline under faults and hostile setups (docs/operations.md): planted migrations, a run left active with a
/// failed job, database errors outside a stage, a hung stage, the worker role's rights, deterministic errors.
@Suite(.serialized)
struct PipelineHardeningTests {
    /// Audit M9: a `migrations/` folder planted in (or above) the working directory is never applied; the
    /// migrations come from beside the binary (here: its checkout).
    @Test func aMigrationsFolderPlantedInTheWorkingDirectoryIsIgnored() throws {
        let cluster = try PipelineCluster()
        let dir = try CLI.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/work", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/migrations", withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: PipelineCluster.repository + "/migrations") {
            try FileManager.default.copyItem(atPath: PipelineCluster.repository + "/migrations/" + file,
                                             toPath: dir + "/migrations/" + file)
        }
        try "CREATE TABLE public.planted AS SELECT current_user AS who;"
            .write(toFile: dir + "/migrations/0900_planted.sql", atomically: true, encoding: .utf8)
        var environment = cluster.environment
        environment["FLOWCPS_MIGRATIONS"] = ""
        let r = try CLI.run(["db", "migrate"], cwd: dir + "/work", environment: environment)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("up to date"), "\(r.stdout)")
        let planted = try cluster.connect().execute("SELECT to_regclass('public.planted') IS NOT NULL AS present").rows[0]
        #expect(try !planted.bool("present"), "the planted migration ran")
    }

    /// Audit M2: a run left `active` with a job failed for good (a crash between the failure and the pause, or the
    /// reaper spending the attempts) is paused by the next reaper pass, with the job's error, and resumes.
    @Test func aRunLeftActiveWithAFailedJobIsPausedAndCanResume() throws {
        let cluster = try PipelineCluster()
        #expect(try cluster.flowcps(["run", "submit", "pipelines/smoke.yaml", "--name", "stranded",
                                     "--set", "steps=1", "--set", "eval.every=0"]).status == 0)
        try cluster.connect().execute("""
            UPDATE jobs SET state = 'failed', finalized_at = now(), attempt = 5,
                errors = '[{"attempt": 5, "error": "lease expired (worker stopped heartbeating)"}]'
            WHERE state = 'available'
            """)
        let w = try cluster.flowcps(["worker", "--exit-when-idle", "--reap-every", "0.2"])
        #expect(w.status == 0, "\(w.stderr)")
        let run = try #require(try cluster.connect().execute("SELECT state, reason FROM runs").rows.first)
        #expect(try run.string("state") == "paused")
        let reason = try run.optionalString("reason") ?? ""
        #expect(reason.contains("failed after 5 attempts"), "\(reason)")
        let resume = try cluster.flowcps(["run", "resume", "stranded"])
        #expect(resume.status == 0, "\(resume.stderr)")
        #expect(try cluster.flowcps(["worker", "--exit-when-idle"]).status == 0)
        #expect(try cluster.runState("stranded") == "completed")
    }

    /// Audit M3: a database error outside a stage (here the failure's own UPDATE hits a full disk) does not kill
    /// the worker: it logs, backs off, and records the failure once the database takes writes again.
    @Test func aWorkerSurvivesADatabaseErrorOutsideAStage() throws {
        let cluster = try PipelineCluster()
        #expect(try cluster.flowcps(["run", "submit", "pipelines/smoke.yaml", "--set", "eval.every=0"]).status == 0)
        let c = try cluster.connect()
        try c.execute("UPDATE checkpoints SET data = overlay(data placing '\\xdeadbeef'::bytea from 5000) WHERE step = 0")
        try c.execute("""
            CREATE FUNCTION public.disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.state = 'running' AND NEW.state <> 'completed' THEN
                    RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100';
                END IF;
                RETURN NEW;
            END $$
            """)
        try c.execute("CREATE TRIGGER disk_full BEFORE UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION public.disk_full()")
        let worker = try cluster.startWorker(["--exit-when-idle", "--lease", "3", "--reap-every", "0.5", "--retry-base", "0.1"])
        // The failure could not be written: the job stays running while its lease runs out.
        let deadline = Date().addingTimeInterval(90)
        while worker.isRunning && Date() < deadline, try c.execute("""
            SELECT count(*) AS n FROM jobs WHERE state = 'running' AND lease_expires_at < now() - interval '1 second'
            """).rows[0].int("n") == 0 {
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(worker.isRunning, "the worker died on the database error")
        try c.execute("DROP TRIGGER disk_full ON jobs")
        let exit = Date().addingTimeInterval(90)
        while worker.isRunning && Date() < exit { Thread.sleep(forTimeInterval: 0.2) }
        if worker.isRunning { worker.terminate() }
        worker.waitUntilExit()
        #expect(worker.terminationStatus == 0)
        let run = try #require(try c.execute("SELECT state, reason FROM runs").rows.first)
        #expect(try run.string("state") == "paused")
        let reason = try run.optionalString("reason") ?? ""
        #expect(reason.contains("rollout"), "\(reason)")
    }

    /// Audit M1: a hung stage (the debug delay stands in: it sleeps while the heartbeat runs) is handed back at
    /// its time limit, the worker that hung exits for its supervisor, and another worker finishes the run.
    @Test func aHungStageIsHandedBackAtItsTimeLimit() throws {
        let cluster = try PipelineCluster()
        #expect(try cluster.flowcps(["run", "submit", "pipelines/smoke.yaml", "--name", "hung",
                                     "--set", "steps=1", "--set", "eval.every=0"]).status == 0)
        let started = Date()
        let hung = try cluster.startWorker(["--lease", "3", "--job-timeout", "2", "--debug-stage-delay", "3600",
                                            "--retry-base", "0.1"])
        while hung.isRunning && Date().timeIntervalSince(started) < 60 { Thread.sleep(forTimeInterval: 0.2) }
        if hung.isRunning { hung.terminate() }
        hung.waitUntilExit()
        #expect(hung.terminationStatus == 75, "the hung worker should exit for its supervisor")
        let errors = try cluster.connect().execute("SELECT errors::text AS e FROM jobs WHERE attempt > 0").rows
            .map { try $0.string("e") }.joined()
        #expect(errors.contains("ran past its 2 s limit"), "\(errors)")
        let w = try cluster.flowcps(["worker", "--exit-when-idle", "--retry-base", "0.1"])
        #expect(w.status == 0, "\(w.stderr)")
        #expect(try cluster.runState("hung") == "completed")
    }

    /// SIGTERM during a job: the worker finishes that job (it commits), claims no other, and exits 0.
    @Test func aWorkerStoppedByTERMFinishesItsJobAndClaimsNoMore() throws {
        let cluster = try PipelineCluster()
        #expect(try cluster.flowcps(["run", "submit", "pipelines/smoke.yaml", "--name", "term",
                                     "--set", "steps=1", "--set", "eval.every=0"]).status == 0)
        let worker = try cluster.startWorker(["--debug-stage-delay", "2"])
        let c = try cluster.connect()
        func count(_ state: String) throws -> Int {
            try c.execute("SELECT count(*) AS n FROM jobs WHERE state = \(state)").rows[0].int("n")
        }
        let started = Date()
        while try count("running") == 0 && Date().timeIntervalSince(started) < 60 { Thread.sleep(forTimeInterval: 0.05) }
        let running = try c.execute("SELECT id FROM jobs WHERE state = 'running'").rows.map { try $0.int("id") }
        #expect(running.count == 1)
        let before = try count("completed")
        worker.terminate()
        worker.waitUntilExit()
        #expect(worker.terminationReason == .exit && worker.terminationStatus == 0, "\(worker.terminationStatus)")
        #expect(try count("running") == 0)
        #expect(try count("completed") == before + 1, "the job it held is committed and no other was taken")
        if let id = running.first {
            #expect(try c.execute("SELECT state FROM jobs WHERE id = \(id)").rows[0].string("state") == "completed")
        }
        // Another worker finishes the run.
        #expect(try cluster.flowcps(["worker", "--exit-when-idle"]).status == 0)
        #expect(try cluster.runState("term") == "completed")
    }

    @Test func badJobTimeoutsAreOneLine() throws {
        for value in ["0", "nan", "train=-1", "trian=5", "=", "inf"] {
            let r = try CLI.run(["worker", "--job-timeout", value])
            #expect(r.status == 2, "\(value): \(r.status)")
            #expect(r.stderr.contains("--job-timeout"), "\(value): \(r.stderr)")
        }
    }

    /// Audit H2: a worker connects as `flowcps_worker` (rows only, no DDL) and runs a pipeline to the end; the same
    /// role may not create tables, functions or roles, and a worker never migrates: against a database whose
    /// schema is behind it refuses with one line and creates nothing.
    @Test func workersRunAsTheWorkerRoleWithoutDDLRights() throws {
        let cluster = try PipelineCluster()
        let asWorker = cluster.server.url + (cluster.server.url.contains("?") ? "&" : "?") + "user=flowcps_worker"
        var environment = cluster.environment
        environment["FLOWCPS_DATABASE_URL"] = asWorker
        let submit = try CLI.run(["run", "submit", "pipelines/smoke.yaml", "--name", "least", "--set", "steps=1",
                                  "--set", "eval.every=1"], cwd: PipelineCluster.repository, environment: environment)
        #expect(submit.status == 0, "\(submit.stderr)")
        let w = try CLI.run(["worker", "--exit-when-idle"], cwd: PipelineCluster.repository, environment: environment)
        #expect(w.status == 0, "\(w.stderr)")
        #expect(try cluster.runState("least") == "completed")
        let worker = try Connection(url: asWorker)
        for statement in ["CREATE TABLE planted (a int)", "CREATE FUNCTION planted() RETURNS int LANGUAGE sql AS 'SELECT 1'",
                          "CREATE ROLE planted", "DROP TABLE jobs", "ALTER TABLE jobs ADD COLUMN x int",
                          "CREATE TEMP TABLE t (a int)", "SELECT lo_from_bytea(0, '\\x00'::bytea)",
                          "GRANT pg_execute_server_program TO flowcps_worker"] {
            do {
                try worker.execute(SQL(unsafeSQL: statement))
                Issue.record("the worker role may: \(statement)")
            } catch let e as StoreError {
                #expect(e.sqlstate == "42501", "\(statement): \(e)")
            }
        }
        // A database a newer migration has not reached: simulated by forgetting the newest one.
        try cluster.connect().execute("DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)")
        let behind = try CLI.run(["worker", "--exit-when-idle"], cwd: PipelineCluster.repository, environment: environment)
        #expect(behind.status != 0)
        #expect(behind.stderr.contains("flowcps db migrate") && behind.stderr.split(separator: "\n").count == 1, "\(behind.stderr)")
    }

    /// Issue 30, item 4: a reward that cannot score the prompts is refused at submit (one line, status 2, nothing
    /// written); and a deterministic error inside a stage (here forced by editing the stored run) fails its job
    /// once and pauses the run with the message, without retries.
    @Test func deterministicErrorsAreCaughtAtSubmitOrFailOnce() throws {
        let cluster = try PipelineCluster()
        let dir = try CLI.temporaryDirectory()
        let smoke = try String(contentsOfFile: PipelineCluster.repository + "/pipelines/smoke.yaml", encoding: .utf8)
        try smoke.replacingOccurrences(of: "  geneval: 1", with: "  ocr: 1").write(toFile: dir + "/ocr.yaml", atomically: true, encoding: .utf8)
        let r = try cluster.flowcps(["run", "submit", dir + "/ocr.yaml", "--name", "ocr"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("rewards.ocr") && r.stderr.contains("text prompts"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        let c = try cluster.connect()
        #expect(try c.execute("SELECT count(*) AS n FROM runs").rows[0].int("n") == 0)

        #expect(try cluster.flowcps(["run", "submit", "pipelines/smoke.yaml", "--name", "edited", "--set", "steps=1",
                                     "--set", "eval.every=0"]).status == 0)
        try c.execute("UPDATE runs SET config = replace(config, '  geneval: 1', '  ocr: 1')")
        let w = try cluster.flowcps(["worker", "--exit-when-idle", "--retry-base", "0.1"])
        #expect(w.status == 0, "\(w.stderr)")
        let run = try #require(try c.execute("SELECT state, reason FROM runs").rows.first)
        #expect(try run.string("state") == "paused")
        let reason = try run.optionalString("reason") ?? ""
        #expect(reason.contains("score") && reason.contains("ocr scores text prompts"), "\(reason)")
        let attempts = try c.execute("SELECT max(attempt) AS n FROM jobs WHERE stage = 'score'").rows[0].int("n")
        #expect(attempts == 1, "a deterministic error was retried")
    }
}
