import Foundation
import Store
import StoreTestSupport
import Testing

/// The analysts' views (migrations/0002_views.sql) on hand-made rows with known answers, the read-only role's
/// limits, and every query in docs/sql.md run as that role.
@Suite(.enabled(if: TestDatabase.available))
struct ViewTests {
    /// Two runs, `demo` and `demo-b`, with rollout rewards, evaluations, metrics and jobs.
    static func seeded() throws -> (TestDatabase, Connection) {
        let db = try TestDatabase()
        let c = try db.connect()
        let demo = try db.insertRun(c, name: "demo")
        let other = try db.insertRun(c, name: "demo-b")
        // Step 0: rewards 0.2, 0.4, 0.6, 1.0 over two prompts × two samples; step 1: all 0.5.
        let rewards: [Int: [Double]] = [0: [0.2, 0.4, 0.6, 1.0], 1: [0.5, 0.5, 0.5, 0.5]]
        for run in [demo, other] {
            for (step, values) in rewards {
                for (i, v) in values.enumerated() {
                    let prompt = i / 2, sample = i % 2
                    try c.execute("""
                        INSERT INTO samples (run_id, step, prompt_index, sample_index, line, prompt, seed, png, reward)
                        VALUES (\(run), \(step), \(prompt), \(sample), \(prompt + 10), \("prompt \(prompt)"), 7, '\\x00', \(v))
                        """)
                    try c.execute("""
                        INSERT INTO rewards (run_id, step, prompt_index, sample_index, name, value)
                        VALUES (\(run), \(step), \(prompt), \(sample), 'geneval', \(v))
                        """)
                }
            }
            // Eval at steps 0 and 2: single_object strict 1/2 then 2/2; two_object 2/2 then 1/2.
            let evals: [(Int, Int, String, Bool, Double)] = [
                (0, 0, "single_object", true, 1), (0, 1, "single_object", false, 0.5),
                (0, 2, "two_object", true, 1), (0, 3, "two_object", true, 1),
                (2, 0, "single_object", true, 1), (2, 1, "single_object", true, 1),
                (2, 2, "two_object", false, 0.5), (2, 3, "two_object", true, 1),
            ]
            for (step, line, category, strict, accuracy) in evals {
                let json = "{\"accuracy\": \(accuracy), \"noise\": \(Double(line) / 100), \"geneval\": \(accuracy)}"
                try c.execute("""
                    INSERT INTO eval_samples (run_id, step, line, category, prompt, png, strict, rewards)
                    VALUES (\(run), \(step), \(line), \(category), 'a circle', '\\x00', \(strict), \(json)::jsonb)
                    """)
            }
            for (step, name, value) in [(0, "train.approx_kl", 0.001), (0, "train.clip_fraction", 0.1), (0, "train.grad_norm", 2.0),
                                        (0, "seconds.queue", 0.05), (0, "seconds.write", 1.0), (0, "seconds.rollout", 3.0)] {
                try c.execute(MetricStatements.insert(runID: run, step: step, rows: [(name, value)]))
            }
            // Step 0's jobs: plan enqueued at t, train finished at t + 10 s; one retried rollout; one job waiting.
            let t = "2026-01-01 00:00:00+00"
            for (stage, shard, attempt, start, end) in [("plan", 0, 1, 0, 1), ("rollout", 0, 2, 1, 4), ("rollout", 1, 1, 1, 5),
                                                        ("train", 0, 1, 5, 10)] {
                try c.execute("""
                    INSERT INTO jobs (run_id, stage, step, shard, state, attempt, args, dedupe_key, created_at,
                                      attempted_at, finalized_at)
                    VALUES (\(run), \(stage), 0, \(shard), 'completed', \(attempt), '{"secret": 1}', \("\(run):\(stage):\(shard)"),
                            \(t)::timestamptz, \(t)::timestamptz + make_interval(secs => \(Double(start))),
                            \(t)::timestamptz + make_interval(secs => \(Double(end))))
                    """)
            }
            try c.execute("""
                INSERT INTO jobs (run_id, stage, step, shard, args, dedupe_key)
                VALUES (\(run), 'plan', 1, 0, '{"secret": 2}', \("\(run):plan:next"))
                """)
            try c.execute(MetricStatements.insert(runID: run, step: 0, rows: [("eval.strict", 0.75), ("eval.strict_se", 0.25)]))
            try c.execute(MetricStatements.insert(runID: run, step: 2, rows: [("eval.strict", 0.75), ("eval.strict_se", 0.125)]))
        }
        // Both runs make up sweep `lr` (points 1 and 2, seed 0).
        let sweep = Int64(try c.execute(SweepStatements.insert(name: "lr", file: "name: lr")).rows[0].int("id"))
        try c.execute(SweepStatements.addRun(sweepID: sweep, runID: demo, point: 1, seed: 0, overrides: "train.lr=1e-5"))
        try c.execute(SweepStatements.addRun(sweepID: sweep, runID: other, point: 2, seed: 0, overrides: "train.lr=3e-5"))
        return (db, c)
    }

    static func reader(_ db: TestDatabase) throws -> Connection {
        try Connection(url: db.url + "&user=flowcps_reader")
    }

    @Test func rewardCurveHasTheGroupStatistics() throws {
        let (_, c) = try ViewTests.seeded()
        let row = try #require(try c.execute("""
            SELECT * FROM reward_curve WHERE run = 'demo' AND step = 0 AND reward = 'total'
            """).single())
        #expect(try row.int("samples") == 4)
        #expect(abs(try row.double("mean") - 0.55) < 1e-12)
        #expect(abs(try row.double("std") - 0.0875.squareRoot()) < 1e-12)
        #expect(abs(try row.double("median") - 0.5) < 1e-12)
        #expect(abs(try row.double("p10") - 0.26) < 1e-12)   // 0.2 + 0.3 · (0.4 − 0.2)
        #expect(abs(try row.double("p90") - 0.88) < 1e-12)   // 0.6 + 0.7 · (1.0 − 0.6)
        let geneval = try #require(try c.execute("""
            SELECT mean FROM reward_curve WHERE run = 'demo' AND step = 1 AND reward = 'geneval'
            """).single())
        #expect(try geneval.double("mean") == 0.5)
    }

    @Test func evalCurveAveragesCategoriesIntoOverall() throws {
        let (_, c) = try ViewTests.seeded()
        let rows = try c.execute("""
            SELECT category, prompts, strict, accuracy, noise, strict_se, images FROM eval_curve WHERE run = 'demo' AND step = 0 ORDER BY category
            """).rows
        #expect(try rows.map { try $0.string("category") } == ["overall", "single_object", "two_object"])
        #expect(try rows.map { try $0.int("prompts") } == [4, 2, 2])
        #expect(try rows.map { try $0.double("strict") } == [0.75, 0.5, 1])
        #expect(try rows.map { try $0.double("accuracy") } == [0.875, 0.75, 1])
        #expect(abs(try rows[1].double("noise") - 0.005) < 1e-12)
        // Standard errors clustered by line: single_object's lines score 1 and 0 (sd √½ over √2 lines: 0.5),
        // two_object's 1 and 1 (0); overall √(0.5² + 0²) / 2 categories. With a second image of line 3 (strict
        // false), two_object's lines score 1 and ½: sd √⅛ over √2 = 0.25, and the images count 3.
        #expect(try rows.map { try $0.double("strict_se") } == [0.25, 0.5, 0])
        #expect(try rows.map { try $0.int("images") } == [4, 2, 2])
        try c.execute("""
            INSERT INTO eval_samples (run_id, step, line, sample, category, prompt, png, strict, rewards)
            SELECT run_id, step, line, 1, category, prompt, png, false, rewards FROM eval_samples
            WHERE run_id = (SELECT id FROM runs WHERE name = 'demo') AND step = 0 AND line = 3
            """)
        let two = try #require(try c.execute("""
            SELECT prompts, images, strict, strict_se FROM eval_curve WHERE run = 'demo' AND step = 0 AND category = 'two_object'
            """).single())
        #expect(try two.int("prompts") == 2)
        #expect(try two.int("images") == 3)
        #expect(abs(try two.double("strict") - 2.0 / 3) < 1e-12)
        #expect(abs(try two.double("strict_se") - 0.25) < 1e-12)
        let longForm = try c.execute("""
            SELECT count(*) AS n FROM eval_rewards WHERE run = 'demo' AND step = 2 AND reward = 'geneval'
            """).rows[0]
        #expect(try longForm.int("n") == 4)
    }

    @Test func sweepOverviewShowsEachRunsFirstAndLatestEvaluation() throws {
        let (_, c) = try ViewTests.seeded()
        let rows = try c.execute("SELECT * FROM sweep_overview WHERE sweep = 'lr' ORDER BY point").rows
        #expect(try rows.map { try $0.string("run") } == ["demo", "demo-b"])
        #expect(try rows.map { try $0.string("overrides") } == ["train.lr=1e-5", "train.lr=3e-5"])
        #expect(try rows.map { try $0.int("first_eval_step") } == [0, 0])
        #expect(try rows.map { try $0.int("last_eval_step") } == [2, 2])
        #expect(try rows.map { try $0.double("last_strict_se") } == [0.125, 0.125])
    }

    @Test func timingsAndQueueDepthCountJobs() throws {
        let (_, c) = try ViewTests.seeded()
        let step = try #require(try c.execute("SELECT * FROM step_timings WHERE run = 'demo' AND step = 0").single())
        #expect(try step.double("step_seconds") == 10)
        #expect(try step.double("queue_seconds") == 0.05)
        let rollout = try #require(try c.execute("""
            SELECT * FROM stage_timings WHERE run = 'demo' AND step = 0 AND stage = 'rollout'
            """).single())
        #expect(try rollout.int("jobs") == 2)
        #expect(try rollout.int("retries") == 1)
        #expect(try rollout.double("job_seconds") == 7)
        #expect(try rollout.double("compute_seconds") == 3)
        let depth = try #require(try c.execute("SELECT * FROM queue_depth WHERE run = 'demo' AND stage = 'plan'").single())
        #expect(try depth.int("available") == 1)
        #expect(try depth.int("completed") == 1)
        let progress = try c.execute("""
            SELECT step, mean_reward FROM prompt_progress WHERE run = 'demo' AND line = 11 ORDER BY step
            """).rows
        #expect(try progress.map { try $0.double("mean_reward") } == [0.8, 0.5])
    }

    @Test func theReaderReadsViewsAndNothingElse() throws {
        let (db, _) = try ViewTests.seeded()
        let r = try ViewTests.reader(db)
        for view in ["run_overview", "reward_curve", "eval_curve", "eval_rewards", "prompt_progress", "run_metrics",
                     "stage_timings", "step_timings", "queue_depth"] {
            #expect(try r.execute(SQL(unsafeSQL: "SELECT count(*) AS n FROM \(view)")).rows[0].int("n") > 0, "\(view)")
        }
        #expect(try r.execute("SELECT count(*) AS n FROM schedule_overview").rows[0].int("n") == 0)
        #expect(try r.execute("SELECT count(*) AS n FROM sweep_overview").rows[0].int("n") == 2)
        let denied: [String] = [
            "SELECT * FROM sweeps",
            "SELECT * FROM sweep_runs",
            "INSERT INTO sweeps (name, file) VALUES ('x', 'y')",
            "SELECT args FROM jobs",
            "SELECT base_model FROM schedules",
            "SELECT * FROM jobs",
            "SELECT data FROM checkpoints",
            "SELECT states FROM trajectories",
            "SELECT config FROM runs",
            "INSERT INTO metrics (run_id, step, name, value) VALUES (1, 9, 'x', 1)",
            "UPDATE samples SET reward = 1",
            "DELETE FROM rewards",
            "DELETE FROM jobs",
            "UPDATE run_overview SET state = 'paused'",
            "DELETE FROM run_metrics",
            "INSERT INTO run_metrics (run, run_id, step, name, value) VALUES ('demo', 1, 5, 'x', 1)",
            "TRUNCATE metrics",
            "CREATE TABLE mine (a int)",
            "DROP VIEW reward_curve",
        ]
        for statement in denied {
            #expect(throws: StoreError.self, "\(statement)") { try r.execute(SQL(unsafeSQL: statement)) }
            do { try r.execute(SQL(unsafeSQL: statement)) } catch let e as StoreError {
                // insufficient_privilege, or for a view over a join: not updatable at all.
                #expect(e.sqlstate == "42501" || (statement.contains("run_metrics") && e.sqlstate == "55000"),
                        "\(statement): \(e)")
            }
        }
        // Nothing the reader tried changed a row.
        let c = try db.connect()
        #expect(try c.execute("SELECT count(*) AS n FROM metrics").rows[0].int("n") == 20)
        #expect(try c.execute("SELECT count(*) AS n FROM rewards").rows[0].int("n") == 16)
    }

    /// Audit H1 and M5: even where PUBLIC may create in the schema (the default before PostgreSQL 15, simulated
    /// here before migrating), the migrations take that away, so the reader cannot plant a function for the owner
    /// to call; nor can it write large objects or temporary tables, and its sessions are bounded.
    @Test func theReaderCanPlantNothingAndIsBounded() throws {
        let db = try TestDatabase(migrated: false)
        let c = try db.connect()
        try c.execute(SQL(unsafeSQL: "GRANT CREATE ON SCHEMA \(db.schema) TO PUBLIC"))
        try Migrator(connection: c).migrate(try Migration.load(directory: TestDatabase.migrationsDirectory))
        let r = try ViewTests.reader(db)
        let denied = [
            "CREATE FUNCTION \(db.schema).power(a int, b int) RETURNS float8 LANGUAGE sql AS 'SELECT 1::float8'",
            "CREATE FUNCTION \(db.schema).convert_to(t text, e text) RETURNS bytea LANGUAGE sql AS 'SELECT NULL::bytea'",
            "CREATE TEMP TABLE t AS SELECT 1 AS a",
            "SELECT lo_from_bytea(0, '\\x00'::bytea)",
            "SELECT lo_create(0)",
        ]
        for statement in denied {
            do {
                try r.execute(SQL(unsafeSQL: statement))
                Issue.record("the reader may: \(statement)")
            } catch let e as StoreError {
                #expect(e.sqlstate == "42501", "\(statement): \(e)")
            }
        }
        #expect(try r.execute("SHOW statement_timeout").rows[0].string("statement_timeout") == "1min")
        #expect(try r.execute("SHOW idle_in_transaction_session_timeout").rows[0]
            .string("idle_in_transaction_session_timeout") == "1min")
        #expect(try c.execute("SELECT rolconnlimit FROM pg_roles WHERE rolname = 'flowcps_reader'").rows[0].int("rolconnlimit") == 8)
    }

    @Test func everyQueryInTheSQLGuideRunsAsTheReader() throws {
        let (db, _) = try ViewTests.seeded()
        let r = try ViewTests.reader(db)
        let guide = URL(fileURLWithPath: TestDatabase.migrationsDirectory).deletingLastPathComponent()
            .appendingPathComponent("docs/sql.md")
        let queries = try ViewTests.sqlBlocks(String(contentsOf: guide, encoding: .utf8))
        #expect(queries.count >= 8)
        for q in queries {
            // Counted in a subquery: the guide's queries round to numeric, which the store does not decode.
            let body = q.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: ";"))
            let n = try r.execute(SQL(unsafeSQL: "SELECT count(*) AS n FROM (\(body)) q")).rows[0].int("n")
            #expect(n > 0, "no rows from:\n\(q)")
        }
    }

    /// The bodies of the ```sql blocks of a Markdown text.
    static func sqlBlocks(_ text: String) -> [String] {
        var blocks: [String] = [], current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line.trimmingCharacters(in: .whitespaces) == "```sql" {
                current = []
            } else if current != nil, line.trimmingCharacters(in: .whitespaces) == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }
}
