import Foundation
import Imaging
import Store
import Testing

/// `flowcps run …` and `flowcps worker` against a real PostgreSQL: bad input, names that need quoting, corrupted
/// checkpoints, and runs that share workers.
@Suite(.serialized)
struct PipelineCLITests {
    @Test func aBadRunFileIsRejectedAtSubmitWithTheFieldNamedAndNothingWritten() throws {
        let cluster = try PipelineCluster()
        let dir = try CLI.temporaryDirectory()
        let cases: [(String, String)] = [
            ("train:\n  clip_range: 2\n", "train.clip_range"),
            ("sampler:\n  kind: euler\n", "sampler.kind"),
            ("group:\n  size: eight\n", "group.size"),
            ("trian:\n  lr: 1e-5\n", "trian"),
            ("train: [unclosed\n", "YAML"),
            ("prompts:\n  train: /nonexistent/prompts.txt\n", "prompts.train"),
        ]
        for (i, (yaml, field)) in cases.enumerated() {
            let file = "\(dir)/bad-\(i).yaml"
            try yaml.write(toFile: file, atomically: true, encoding: .utf8)
            let r = try cluster.flowcps(["run", "submit", file, "--name", "bad-\(i)"])
            #expect(r.status == 2, "\(yaml): \(r.stderr)")
            #expect(r.stderr.contains(field), "\(yaml): \(r.stderr)")
        }
        let c = try cluster.connect()
        #expect(try c.execute("SELECT count(*) AS n FROM runs").rows[0].int("n") == 0)
        #expect(try c.execute("SELECT count(*) AS n FROM jobs").rows[0].int("n") == 0)
        #expect(try c.execute("SELECT count(*) AS n FROM checkpoints").rows[0].int("n") == 0)
    }

    @Test func aFinishedRunIsFollowedAndReported() throws {
        let cluster = try PipelineCluster()
        let submit = try cluster.flowcps(["run", "submit", "pipelines/smoke.yaml", "--name", "rep",
                                          "--set", "steps=1", "--set", "eval.every=1"])
        #expect(submit.status == 0, "\(submit.stderr)")
        #expect(try cluster.flowcps(["worker", "--exit-when-idle"]).status == 0)
        let follow = try cluster.flowcps(["run", "status", "rep", "--follow", "--interval", "0.2"])
        #expect(follow.status == 0)
        #expect(follow.stdout.hasPrefix("████████████████████████ step 1/1  completed"), "\(follow.stdout)")
        // Metrics below 1e-3 are shown in scientific notation, not as 0.0000 (smoke.yaml's lr is 1e-5).
        let status = try cluster.flowcps(["run", "status", "rep"])
        #expect(status.stdout.contains("\n  train.lr = 1.000e-05 (step 0)\n"), "\(status.stdout)")
        let dir = try CLI.temporaryDirectory() + "/report"
        let report = try cluster.flowcps(["report", "rep", "--out", dir])
        #expect(report.status == 0 && report.stdout == "report: \(dir)/index.html\n", "\(report.stderr)")
        let page = try String(contentsOfFile: dir + "/index.html", encoding: .utf8)
        #expect(page.contains("Evaluation by category: before and after"))
        #expect(page.components(separatedBy: "data:image/png;base64,").count - 1 == 2)
        for step in [0, 1] {
            let grid = try PNGCodec.read(from: "\(dir)/grids/rep-step-\(step).png")
            #expect(grid.width > 64 && grid.height > 64)
        }
        // The exported curves agree with the exported samples: step 0's reward mean, each step's eval strict
        // (GenEval's overall: the mean of the categories' accuracies).
        let export = try CLI.temporaryDirectory() + "/export"
        #expect(try cluster.flowcps(["run", "export", "rep", "--out", export, "--no-images"]).status == 0)
        let curves = try String(contentsOfFile: export + "/curves.csv", encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = curves[0]
        #expect(Array(header.prefix(10)) == ["step", "reward.mean", "reward.std", "reward.p10", "reward.p90", "eval.strict",
                                             "eval.strict_se", "eval.accuracy", "eval.score", "eval.noise"])
        #expect(curves.dropFirst().map { $0[0] } == ["0", "1"])
        func cell(_ step: Int, _ column: String) -> Double? { Double(curves[step + 1][header.firstIndex(of: column)!]) }
        let rewards = try String(contentsOfFile: export + "/samples.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",") }.filter { $0[0] == "0" }.map { Double($0[6])! }
        #expect(abs(cell(0, "reward.mean")! - rewards.reduce(0, +) / Double(rewards.count)) < 1e-9)
        let sorted = rewards.sorted(), p10 = 0.1 * Double(sorted.count - 1)
        let below = Int(p10), fraction = p10 - Double(below)
        #expect(abs(cell(0, "reward.p10")! - (sorted[below] + fraction * (sorted[min(below + 1, sorted.count - 1)] - sorted[below]))) < 1e-9)
        #expect(cell(1, "reward.mean") == nil && cell(0, "train.loss") != nil && cell(0, "seconds.step")! > 0)
        let evals = try String(contentsOfFile: export + "/eval.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",") }
        for step in [0, 1] {
            var byCategory: [String: [Double]] = [:]
            for e in evals where e[0] == "\(step)" { byCategory[String(e[2]), default: []].append(Double(e[4])!) }
            let strict = byCategory.values.map { $0.reduce(0, +) / Double($0.count) }.reduce(0, +) / Double(byCategory.count)
            #expect(abs(cell(step, "eval.strict")! - strict) < 1e-9)
            #expect(cell(step, "eval.noise")! >= 0 && (0...1).contains(cell(step, "eval.score")!))
        }
        let missing = try cluster.flowcps(["report", "nope", "--out", dir])
        #expect(missing.status == 2 && missing.stderr.contains("no run named \"nope\""), "\(missing.stderr)")
    }

    @Test func followingIntoALogFileWritesEachLineAsItComes() throws {
        let cluster = try PipelineCluster()
        let submit = try cluster.flowcps(["run", "submit", "pipelines/smoke.yaml", "--name", "tail", "--set", "steps=1"])
        #expect(submit.status == 0, "\(submit.stderr)")
        // No worker runs, so the run stays at step 0 and the follower keeps going until it is stopped.
        let log = cluster.directory + "/follow.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["run", "status", "tail", "--follow", "--interval", "0.2"]
        p.currentDirectoryURL = URL(fileURLWithPath: PipelineCluster.repository)
        p.environment = ProcessInfo.processInfo.environment.merging(cluster.environment) { $1 }
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try p.run()
        var seen = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && !seen.contains("\n") {
            usleep(100_000)
            seen = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        }
        let runningWhenSeen = p.isRunning
        // SIGTERM stops the follower, also when it inherited the signal blocked from the thread that started it.
        p.terminate()
        let stopBy = Date().addingTimeInterval(10)
        while p.isRunning && Date() < stopBy { usleep(50_000) }
        let stopped = !p.isRunning
        if !stopped { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        #expect(stopped, "the follower ignored SIGTERM")
        #expect(runningWhenSeen, "the line came only when the follower exited")
        #expect(seen.hasPrefix("········"), "\(seen)")
        #expect(seen.contains("step 0/1  active"), "\(seen)")
    }

    @Test func schedulesAreAddedListedAndRemovedFromTheCLI() throws {
        let cluster = try PipelineCluster()
        let bad = try cluster.flowcps(["schedule", "add", "nightly", "--cron", "0 27 * * *", "pipelines/smoke.yaml"])
        #expect(bad.status == 2 && bad.stderr.contains("hour field"), "\(bad.stderr)")
        let badFile = try cluster.flowcps(["schedule", "add", "nightly", "--cron", "0 3 * * *", "pipelines/smoke.yaml",
                                           "--set", "train.clip_range=2"])
        #expect(badFile.status == 2 && badFile.stderr.contains("train.clip_range"), "\(badFile.stderr)")
        let add = try cluster.flowcps(["schedule", "add", "nightly", "--cron", "0 3 * * *", "pipelines/smoke.yaml"])
        #expect(add.status == 0 && add.stdout.contains("scheduled nightly (0 3 * * *, UTC); next run"), "\(add.stderr)")
        let list = try cluster.flowcps(["schedule", "list"])
        #expect(list.stdout.hasPrefix("nightly\t0 3 * * *\tnext "), "\(list.stdout)")
        #expect(list.stdout.contains(" 03:00 UTC"), "\(list.stdout)")
        #expect(try cluster.flowcps(["schedule", "remove", "nightly"]).status == 0)
        #expect(try cluster.flowcps(["schedule", "list"]).stdout == "no schedules\n")
        let again = try cluster.flowcps(["schedule", "remove", "nightly"])
        #expect(again.status == 2 && again.stderr.contains("no schedule named"), "\(again.stderr)")
    }

    @Test func anUnreachableDatabaseIsOneClearLine() throws {
        let nowhere = FileManager.default.temporaryDirectory.appendingPathComponent("no-pg-\(UUID().uuidString.prefix(8))").path
        let r = try CLI.run(["run", "list"], cwd: PipelineCluster.repository,
                            environment: ["FLOWCPS_DATABASE_URL": "postgresql://postgres@/x?host=\(nowhere)"])
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("[flowcps]") }
        #expect(lines.count == 1 && lines[0].hasPrefix("error: database unreachable:"), "\(r.stderr)")
    }

    @Test func namesAndPromptsWithQuotesSemicolonsAndBackslashesRoundTrip() throws {
        let cluster = try PipelineCluster()
        let name = "it's; a \\\"run\\\" -- 'x' \\n $1"
        let r = try cluster.flowcps(["run", "submit", "pipelines/smoke.yaml", "--name", name,
                                     "--set", "prompts.train=pipelines/prompts/ocr-train.txt", "--set", "rewards={ocr: 1}"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try cluster.flowcps(["run", "list"]).stdout.hasPrefix(name + "\t"))
        #expect(try cluster.flowcps(["run", "status", name]).stdout.hasPrefix(name + ": active"))
        let stored = try #require(try cluster.connect().execute("SELECT name, train_prompts FROM runs").rows.first)
        #expect(try stored.string("name") == name)
        let file = try String(contentsOfFile: PipelineCluster.repository + "/pipelines/prompts/ocr-train.txt", encoding: .utf8)
        #expect(try stored.string("train_prompts") == file)
        #expect(file.contains("\""))
        #expect(try cluster.flowcps(["run", "cancel", name]).status == 0)
        #expect(try cluster.runState(name) == "cancelled")
    }

    @Test func aPausedRunHoldsItsJobsUntilResumed() throws {
        let cluster = try PipelineCluster()
        #expect(try cluster.flowcps(["run", "submit", "pipelines/smoke.yaml", "--set", "eval.every=0", "--set", "steps=1"]).status == 0)
        #expect(try cluster.flowcps(["run", "pause", "smoke"]).status == 0)
        let again = try cluster.flowcps(["run", "pause", "smoke"])
        #expect(again.status == 2 && again.stderr.contains("is paused, not active"), "\(again.stderr)")
        #expect(try cluster.flowcps(["worker", "--exit-when-idle"]).status == 0)
        #expect(try cluster.runState("smoke") == "paused")
        #expect(try cluster.connect().execute("SELECT count(*) AS n FROM jobs WHERE state = 'pending'").rows[0].int("n") == 1)
        #expect(try cluster.flowcps(["run", "resume", "smoke"]).status == 0)
        #expect(try cluster.flowcps(["worker", "--exit-when-idle"]).status == 0)
        #expect(try cluster.runState("smoke") == "completed")
        let cancel = try cluster.flowcps(["run", "cancel", "smoke"])
        #expect(cancel.status == 2 && cancel.stderr.contains("is completed"), "\(cancel.stderr)")
    }

    @Test func aCorruptedCheckpointFailsItsJobWithTheReasonAndPausesTheRun() throws {
        let cluster = try PipelineCluster()
        #expect(try cluster.flowcps(["run", "submit", "pipelines/smoke.yaml", "--set", "eval.every=0"]).status == 0)
        try cluster.connect().execute(
            "UPDATE checkpoints SET data = overlay(data placing '\\xdeadbeef'::bytea from 5000) WHERE step = 0")
        let w = try cluster.flowcps(["worker", "--exit-when-idle", "--retry-base", "0.1"])
        #expect(w.status == 0, "\(w.stderr)")
        let run = try #require(try cluster.connect().execute("SELECT state, reason FROM runs").rows.first)
        #expect(try run.string("state") == "paused")
        let reason = try run.optionalString("reason") ?? ""
        #expect(reason.contains("rollout") && reason.contains("corrupted") && reason.contains("sha256"), "\(reason)")
        let failed = try cluster.connect().execute(
            "SELECT stage, attempt FROM jobs WHERE state = 'failed' OR (state = 'pending' AND attempt > 0)").rows
        #expect(try failed.map { try $0.string("stage") } == ["rollout"])
        #expect(try failed.first?.int("attempt") == 1)
        #expect(try cluster.connect().execute("SELECT count(*) AS n FROM samples").rows[0].int("n") == 0)
    }

    @Test func twoRunsSharingTwoWorkersGiveTheResultsOfRunningAlone() throws {
        let cluster = try PipelineCluster()
        let short = ["--set", "steps=2", "--set", "eval.every=0"]
        func submit(_ name: String, seed: Int) throws {
            let r = try cluster.flowcps(["run", "submit", "pipelines/smoke.yaml", "--name", name, "--set", "seed=\(seed)"] + short)
            #expect(r.status == 0, "\(r.stderr)")
        }
        try submit("alone-a", seed: 1)
        #expect(try cluster.flowcps(["worker", "--exit-when-idle"]).status == 0)
        try submit("alone-b", seed: 2)
        #expect(try cluster.flowcps(["worker", "--exit-when-idle"]).status == 0)
        try submit("shared-a", seed: 1)
        try submit("shared-b", seed: 2)
        let workers = try (0..<2).map { _ in try cluster.startWorker(["--exit-when-idle", "--poll", "0.2"]) }
        for w in workers { w.waitUntilExit() }
        #expect(workers.allSatisfy { $0.terminationStatus == 0 })
        for (alone, shared) in [("alone-a", "shared-a"), ("alone-b", "shared-b")] {
            #expect(try cluster.runState(shared) == "completed")
            for kind in ["policy", "state"] {
                let a = try cluster.checkpointHash(run: alone, step: 2, kind: kind)
                let b = try cluster.checkpointHash(run: shared, step: 2, kind: kind)
                #expect(a != nil && a == b, "\(alone) \(kind)")
            }
        }
        #expect(try cluster.checkpointHash(run: "alone-a", step: 2, kind: "policy")
                != cluster.checkpointHash(run: "alone-b", step: 2, kind: "policy"))
    }

    /// A rolling upgrade (audit M7): a run stored by an older build carries an identity this build would not
    /// compute; its state checkpoints are checked against that stored identity, so it finishes, bit-identical to a
    /// run stored by this build.
    @Test func aRunStoredByAnOlderBuildFinishesUnderThisOneWithTheSameResults() throws {
        let cluster = try PipelineCluster()
        for name in ["this-build", "older-build"] {
            let r = try cluster.flowcps(["run", "submit", "pipelines/smoke.yaml", "--name", name,
                                         "--set", "steps=2", "--set", "eval.every=0"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        // What a build before the canonical identity stored: the digest of its printed config.
        try cluster.connect().execute("""
            UPDATE runs SET fingerprint = md5('flowcps.run/1 ' || config) WHERE name = 'older-build'
            """)
        let worker = try cluster.flowcps(["worker", "--exit-when-idle"])
        #expect(worker.status == 0, "\(worker.stderr)")
        #expect(try cluster.runState("older-build") == "completed")
        let a = try cluster.checkpointHash(run: "this-build", step: 2, kind: "policy")
        let b = try cluster.checkpointHash(run: "older-build", step: 2, kind: "policy")
        #expect(a != nil && a == b)
        let rewards = try cluster.connect().execute("""
            SELECT count(DISTINCT (r.step, r.prompt_index, r.sample_index, r.name, r.value)) AS distinct_rows, count(*) AS n
            FROM rewards r JOIN runs u ON u.id = r.run_id
            """).rows[0]
        #expect(try rewards.int("n") == 2 * rewards.int("distinct_rows"), "the two runs' rewards are the same rows")
    }
}
