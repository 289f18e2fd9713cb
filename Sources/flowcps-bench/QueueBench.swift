import ArgumentParser
import Foundation
import Store

extension Bench {
    /// The job queue's speed: no-op jobs claimed and completed (with a downstream insert) by N worker threads of
    /// our code, beside the ceiling pgbench reaches with the same statements in the same run.
    struct QueueSpeed: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "queue",
            abstract: "Jobs/s of claim + fenced complete + downstream enqueue against pgbench's ceiling, p50/p99 claim latency, decay over a burn-down.",
            discussion: """
            Uses a private PostgreSQL in a temporary folder (or --url), migrated with migrations/. Preloads --jobs
            available jobs, then (1) pgbench with --workers clients runs the same claim, complete and insert
            statements, one job per transaction pair: the database's ceiling; (2) --workers threads of FlowCPS's
            JobQueue burn down the same number of jobs, reporting jobs/s per tenth of the burn-down (decay shows
            as falling rates), and claim latencies.
            """
        )

        @Option(help: "Jobs to burn down in each half.") var jobs = 100_000
        @Option(help: "Concurrent workers (pgbench clients and FlowCPS threads).") var workers = 2
        @Option(help: "libpq URL of a server to use instead of a private one.") var url: String?
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            var cluster: EmbeddedPostgres?
            let serverURL: String
            if let url { serverURL = url } else {
                let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flowcps-queue-bench-\(getpid())").path
                let e = EmbeddedPostgres(directory: dir)
                try e.start()
                cluster = e
                serverURL = e.url
            }
            defer {
                if let cluster {
                    _ = try? cluster.stop()
                    try? FileManager.default.removeItem(atPath: cluster.directory)
                }
            }
            let admin = try Connection(url: serverURL)
            try admin.execute("DROP SCHEMA IF EXISTS queue_bench CASCADE")
            try admin.execute("CREATE SCHEMA queue_bench")
            let url = serverURL + (serverURL.contains("?") ? "&" : "?") + "options=-csearch_path%3Dqueue_bench"
            let c = try Connection(url: url)
            guard let folder = Migration.defaultDirectory() else { throw ValidationError("no migrations folder found") }
            try Migrator(connection: c).migrate(try Migration.load(directory: folder))
            try c.execute("""
                INSERT INTO runs (name, config, fingerprint, train_prompts, eval_prompts, steps)
                VALUES ('bench', '', '', '', '', 1)
                """)

            try preload(c)
            let ceiling = try pgbench(url: url, dir: FileManager.default.temporaryDirectory.path)
            try preload(c)
            let ours = try burnDown(url: url)
            let ratio = ours.rate / ceiling
            if json {
                let o: [String: Any] = ["jobs": jobs, "workers": workers, "pgbench_jobs_per_s": ceiling,
                                        "flowcps_jobs_per_s": ours.rate, "ratio": ratio,
                                        "claim_p50_ms": ours.p50 * 1000, "claim_p99_ms": ours.p99 * 1000,
                                        "tenths_jobs_per_s": ours.tenths]
                print(String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self))
                return
            }
            print(String(format: "queue: %d no-op jobs, %d workers (claim → complete + downstream insert)", jobs, workers))
            print(String(format: "pgbench ceiling      %8.0f jobs/s", ceiling))
            print(String(format: "flowcps JobQueue     %8.0f jobs/s = %.2f × pgbench", ours.rate, ratio))
            print(String(format: "claim latency        p50 %.2f ms, p99 %.2f ms", ours.p50 * 1000, ours.p99 * 1000))
            print("jobs/s by tenth of the burn-down: " + ours.tenths.map { String(format: "%.0f", $0) }.joined(separator: " "))
        }

        /// Replaces the queue's contents with `jobs` available no-op jobs and vacuums, so each half starts alike.
        func preload(_ c: Connection) throws {
            try c.execute("TRUNCATE jobs")
            try c.execute("""
                INSERT INTO jobs (run_id, stage, step, shard, dedupe_key)
                SELECT (SELECT id FROM runs LIMIT 1), 'noop', g, 0, 'noop:' || g FROM generate_series(1, \(jobs + 1000)) g
                """)
            try c.execute("VACUUM ANALYZE jobs")
        }

        /// pgbench running the claim, then complete + downstream insert in one transaction, per job.
        func pgbench(url: String, dir: String) throws -> Double {
            let script = """
                WITH picked AS MATERIALIZED (SELECT id FROM jobs WHERE state = 'available' AND scheduled_at <= now() AND stage = 'noop' ORDER BY priority, scheduled_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) UPDATE jobs j SET state = 'running', attempt = j.attempt + 1, lease_owner = 'pgbench', lease_expires_at = now() + make_interval(secs => 60), heartbeat_at = now(), attempted_at = now() FROM picked WHERE j.id = picked.id RETURNING j.id AS job_id, j.attempt AS job_attempt \\gset
                BEGIN;
                UPDATE jobs SET state = 'completed', finalized_at = now(), lease_owner = NULL, lease_expires_at = NULL WHERE id = :job_id AND attempt = :job_attempt AND lease_owner = 'pgbench' AND state = 'running';
                INSERT INTO jobs (run_id, stage, step, shard, state, priority, max_attempts, args, dedupe_key) SELECT run_id, 'sink', step, 0, 'available', 0, 5, '{}', 'sink:' || :job_id FROM jobs WHERE id = :job_id ON CONFLICT (dedupe_key) DO NOTHING;
                COMMIT;

                """
            let file = dir + "/flowcps-queue-bench-\(getpid()).sql"
            try script.write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: try EmbeddedPostgres.binDirectory() + "/pgbench")
            p.arguments = ["-n", "-f", file, "-c", String(workers), "-j", String(workers), "-t", String(jobs / workers), url]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            guard p.terminationStatus == 0,
                  let line = text.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
                  let tps = Double(line.dropFirst(6).split(separator: " ").first ?? "") else {
                throw ValidationError("pgbench failed: \(text.suffix(500))")
            }
            return tps
        }

        struct BurnDown {
            var rate: Double, p50: Double, p99: Double, tenths: [Double]
        }

        /// `workers` threads, each with its own connection, claiming and completing until `jobs` are done.
        func burnDown(url: String) throws -> BurnDown {
            let total = jobs
            let state = BenchState()
            let start = DispatchTime.now().uptimeNanoseconds
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                do {
                    let q = JobQueue(connection: try Connection(url: url))
                    var latencies: [Double] = []
                    while state.take(total) {
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        guard let job = try q.claim(owner: "bench-\(w)", stages: ["noop"], leaseSeconds: 60).first else { break }
                        latencies.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                        try q.connection.transaction { c in
                            let tq = JobQueue(connection: c)
                            try tq.complete(job)
                            try tq.enqueue(JobSpec(runID: job.runID, stage: "sink", step: job.step, dedupeKey: "sink:\(job.id)"))
                        }
                        state.finished(at: DispatchTime.now().uptimeNanoseconds - start)
                    }
                    state.add(latencies)
                } catch {
                    state.fail("\(error)")
                }
            }
            if let e = state.error { throw ValidationError("burn-down failed: \(e)") }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let sorted = state.latencies.sorted()
            let times = state.finishTimes.sorted()
            let tenth = max(1, times.count / 10)
            var tenths: [Double] = []
            var previous: UInt64 = 0
            for k in 1...10 where k * tenth <= times.count {
                let t = times[k * tenth - 1]
                tenths.append(Double(tenth) / (Double(t - previous) / 1e9))
                previous = t
            }
            return BurnDown(rate: Double(times.count) / seconds, p50: sorted[sorted.count / 2],
                            p99: sorted[min(sorted.count - 1, sorted.count * 99 / 100)], tenths: tenths)
        }
    }
}

/// Shared counters of the burn-down threads.
private final class BenchState: @unchecked Sendable {
    private let lock = NSLock()
    private var taken = 0
    var latencies: [Double] = []
    var finishTimes: [UInt64] = []
    var error: String?

    func take(_ limit: Int) -> Bool {
        lock.withLock {
            guard taken < limit, error == nil else { return false }
            taken += 1
            return true
        }
    }

    func finished(at t: UInt64) { lock.withLock { finishTimes.append(t) } }
    func add(_ l: [Double]) { lock.withLock { latencies += l } }
    func fail(_ e: String) { lock.withLock { error = e } }
}
