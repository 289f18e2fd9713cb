import ArgumentParser
import Foundation
import Store

/// `flowcps-bench chaos`: runs one small pipeline undisturbed, then once per scenario while the scenario's fault
/// is injected, and checks that each disturbed run ends with the same checkpoints, rewards, samples, metrics and
/// evaluations, bit for bit, with every job completed exactly once and nothing left running.
struct Chaos: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Fault-injection suite: each scenario must end bitwise identical to an undisturbed run.",
        discussion: """
        Run from the repository root. Uses a private PostgreSQL in a temporary folder and the flowcps binary given \
        by --flowcps. Scenarios: kill (SIGKILL workers mid-job), stop (SIGSTOP a worker past its lease: a live \
        duplicate), db-crash (PostgreSQL immediate-mode stop and restart), terminate (pg_terminate_backend of every \
        worker session), connections (max_connections exhausted by another client while workers must reconnect), \
        blocker (another session idle in a transaction holding the run's row lock), hung (a stage that never \
        returns, past its --job-timeout), newer (a worker of another build joins mid-run; needs --newer).
        """
    )

    enum Scenario: String, CaseIterable, ExpressibleByArgument {
        case kill, stop, dbCrash = "db-crash", terminate, connections, blocker, hung, newer
    }

    @Option(help: "The flowcps binary under test.") var flowcps = ".build/release/flowcps"
    @Option(help: "A flowcps binary of another build, for the newer scenario.") var newer: String?
    @Option(help: "Scenarios, comma-separated (default: all; newer only with --newer).") var scenarios: String?
    @Option(help: "RL steps of the pipeline (pipelines/smoke.yaml).") var steps = 3
    @Option(help: "Report file (Markdown table) to write besides printing it.") var report: String?
    @Option(help: "Seed of the fault timings.") var seed: UInt64 = 1

    func validate() throws {
        guard (1...20).contains(steps) else { throw ValidationError("--steps must be in 1…20, got \(steps)") }
        for s in (scenarios ?? "").split(separator: ",") where Scenario(rawValue: String(s)) == nil {
            throw ValidationError("--scenarios: unknown scenario \"\(s)\" (\(Scenario.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard FileManager.default.isExecutableFile(atPath: flowcps) else {
            throw ValidationError("--flowcps: \(flowcps) is not an executable (build it: swift build -c release)")
        }
    }

    func run() throws {
        let chosen = scenarios.map { $0.split(separator: ",").compactMap { Scenario(rawValue: String($0)) } }
            ?? Scenario.allCases.filter { $0 != .newer || newer != nil }
        if chosen.contains(.newer) && newer == nil { throw ValidationError("the newer scenario needs --newer PATH") }
        let lab = try ChaosLab(flowcps: flowcps, steps: steps, seed: seed)
        defer { lab.shutDown() }
        print("undisturbed run …")
        let calm = try lab.runCalm()
        var rows: [String] = []
        var failures = 0
        for scenario in chosen {
            let started = Date()
            let outcome: ChaosLab.Outcome
            do {
                outcome = try lab.run(scenario, newer: newer)
            } catch {
                outcome = ChaosLab.Outcome(faults: "error: \(error)", digest: nil)
            }
            let mismatch = outcome.digest.map { calm.differences(from: $0) } ?? ["the run did not complete"]
            let ok = mismatch.isEmpty
            if !ok { failures += 1 }
            let line = "| \(scenario.rawValue) | \(outcome.faults) | \(String(format: "%.0f", Date().timeIntervalSince(started))) | "
                + (ok ? "identical" : "DIFFERS: " + mismatch.joined(separator: "; ")) + " |"
            print(line)
            rows.append(line)
        }
        let table = (["| scenario | faults injected | seconds | result |", "|---|---|---|---|"] + rows).joined(separator: "\n")
        if let report {
            let text = "# Chaos suite (flowcps-bench chaos, \(UTCStamp.now))\n\nReference: pipelines/smoke.yaml, "
                + "\(steps) steps, undisturbed, one worker. Each row: the same run under the fault, three workers.\n\n"
                + table + "\n"
            try text.write(toFile: report, atomically: true, encoding: .utf8)
        }
        print(failures == 0 ? "chaos: every scenario identical to the undisturbed run" : "chaos: \(failures) scenario(s) differ")
        if failures > 0 { throw ExitCode(1) }
    }
}

/// Today's date and time in UTC, for report headers.
enum UTCStamp {
    static var now: String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return f.string(from: Date())
    }
}

/// The private cluster, the worker processes and the digests of runs.
final class ChaosLab {
    let flowcps: String
    let steps: Int
    let directory: String
    let server: EmbeddedPostgres
    var rng: SplitMix
    let repository = FileManager.default.currentDirectoryPath
    /// Short leases and backoffs so that faults resolve in seconds.
    let workerArguments = ["--lease", "3", "--poll", "0.2", "--reap-every", "0.5", "--retry-base", "0.1"]

    struct Outcome {
        var faults: String
        var digest: RunDigest?
    }

    init(flowcps: String, steps: Int, seed: UInt64) throws {
        self.flowcps = flowcps
        self.steps = steps
        rng = SplitMix(seed)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("flowcps-chaos-\(getpid())").path
        server = EmbeddedPostgres(directory: directory + "/postgres")
        try server.start()
        try Migrator(connection: try Connection(url: server.url)).migrate(try Migration.load(directory: repository + "/migrations"))
    }

    func shutDown() {
        _ = try? server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var environment: [String: String] {
        ProcessInfo.processInfo.environment.merging(
            ["FLOWCPS_DATABASE_URL": server.url, "FLOWCPS_MIGRATIONS": repository + "/migrations"]) { $1 }
    }

    func submit(_ name: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: flowcps)
        p.arguments = ["run", "submit", "pipelines/smoke.yaml", "--name", name, "--set", "steps=\(steps)"]
        p.environment = environment
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw ValidationError("run submit \(name) failed") }
    }

    func startWorker(_ extra: [String] = [], binary: String? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary ?? flowcps)
        p.arguments = ["worker"] + workerArguments + extra
        p.environment = environment
        let log = directory + "/worker-\(UUID().uuidString.prefix(8)).log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return p
    }

    func connect() throws -> Connection { try Connection.open(url: server.url, retry: .default) }

    func state(_ run: String) throws -> String {
        try connect().execute("SELECT state FROM runs WHERE name = \(run)").rows.first?.string("state") ?? "absent"
    }

    /// Completed, with no job of the run left to do (the last evaluation may finish after the run's last step).
    func finished(_ run: String) throws -> Bool {
        try state(run) == "completed" && connect().execute("""
            SELECT count(*) AS n FROM jobs j JOIN runs r ON r.id = j.run_id
            WHERE r.name = \(run) AND j.state IN ('pending', 'available', 'running')
            """).rows[0].int("n") == 0
    }

    /// Running jobs of `run`: (job id, stage, lease owner's pid).
    func running(_ run: String) throws -> [(Int64, String, Int32)] {
        try connect().execute("""
            SELECT j.id, j.stage, j.lease_owner FROM jobs j JOIN runs r ON r.id = j.run_id
            WHERE r.name = \(run) AND j.state = 'running'
            """).rows.compactMap { row in
            let owner = try row.optionalString("lease_owner")?.split(separator: ":") ?? []
            guard owner.count >= 2, let pid = Int32(owner[1]) else { return nil }
            return (Int64(try row.int("id")), try row.string("stage"), pid)
        }
    }

    func runCalm() throws -> RunDigest {
        try submit("calm")
        let w = try startWorker(["--exit-when-idle"])
        w.waitUntilExit()
        guard try state("calm") == "completed" else { throw ValidationError("the undisturbed run did not complete") }
        return try RunDigest(connect(), run: "calm")
    }

    /// One disturbed run: three workers, the scenario's faults, until the run completes (or 10 minutes pass).
    func run(_ scenario: Chaos.Scenario, newer: String?) throws -> Outcome {
        let name = "chaos-\(scenario.rawValue)"
        try submit(name)
        var workers = try (0..<3).map { _ in try startWorker() }
        var faults = 0
        var note = ""
        let deadline = Date().addingTimeInterval(600)
        func replace(_ pid: Int32, _ extra: [String] = []) throws {
            guard let i = workers.firstIndex(where: { $0.processIdentifier == pid }) else { return }
            workers[i].waitUntilExit()
            workers[i] = try startWorker(extra)
        }
        defer {
            for w in workers where w.isRunning { kill(w.processIdentifier, SIGCONT); w.terminate() }
            for w in workers { w.waitUntilExit() }
        }
        while try !finished(name) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1 + Double(rng.next() % 300) / 1000)
            let jobs = try running(name)
            switch scenario {
            case .kill:
                guard faults < 10, let (_, _, pid) = jobs.randomElement(using: &rng) else { continue }
                kill(pid, SIGKILL)
                try replace(pid)
                faults += 1
                note = "\(faults) SIGKILLs of workers mid-job"
            case .stop:
                guard faults < 3, let (_, _, pid) = jobs.first else { continue }
                kill(pid, SIGSTOP)
                Thread.sleep(forTimeInterval: 7)  // past the 3 s lease: the reaper hands the job to another worker
                kill(pid, SIGCONT)
                faults += 1
                note = "\(faults) SIGSTOPs of 7 s (lease 3 s)"
            case .dbCrash:
                guard faults < 2, !jobs.isEmpty else { continue }
                try server.stop(mode: "immediate")
                Thread.sleep(forTimeInterval: 1)
                try server.start()
                faults += 1
                note = "\(faults) immediate-mode crashes"
            case .terminate:
                guard faults < 4, !jobs.isEmpty else { continue }
                let n = try connect().execute("""
                    SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                    """).rows[0].int("n")
                faults += 1
                note = "\(faults) rounds of pg_terminate_backend (\(n) sessions in the last)"
            case .connections:
                guard faults < 1, !jobs.isEmpty else { continue }
                // Fill every free connection from another client, drop the workers' sessions so that they must
                // reconnect into a full server, and hold the server full for 8 s.
                let admin = try connect()
                let max = try admin.execute("SHOW max_connections").rows[0].string("max_connections")
                var hogs: [Connection] = []
                let hogURL = server.url + "&application_name=chaos-hog"
                while hogs.count < (Int(max) ?? 200), let c = try? Connection(url: hogURL) { hogs.append(c) }
                _ = try admin.execute("""
                    SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                      AND application_name <> 'chaos-hog'
                    """)
                Thread.sleep(forTimeInterval: 8)
                hogs.removeAll()
                faults += 1
                note = "max_connections (\(max)) held by another client for 8 s while the workers' sessions were dropped"
            case .blocker:
                guard faults < 1, jobs.contains(where: { $0.1 == "train" || $0.1 == "score" }) else { continue }
                let blocker = try connect()
                try blocker.execute("BEGIN")
                try blocker.execute("SELECT id FROM runs WHERE name = \(name) FOR UPDATE")
                Thread.sleep(forTimeInterval: 15)
                try blocker.execute("ROLLBACK")
                faults += 1
                note = "a session idle in a transaction holding the run's row lock for 15 s"
            case .hung:
                guard faults < 1, let w = workers.first else { continue }
                // Replace one worker with one whose stages hang; it must be cut off at its time limit.
                w.terminate()
                w.waitUntilExit()
                let hung = try startWorker(["--job-timeout", "4", "--debug-stage-delay", "3600"])
                workers[0] = hung
                faults += 1
                note = "a worker whose stage never returns (--job-timeout 4)"
            case .newer:
                guard faults < 1, !jobs.isEmpty, let newer else { continue }
                let w = workers.removeFirst()
                w.terminate()
                w.waitUntilExit()
                workers.append(try startWorker([], binary: newer))
                faults += 1
                note = "a worker of another build (\(newer)) replaced one mid-run"
            }
            // A worker the fault stopped for good (the hung one exits 75) is replaced by a plain one.
            for i in workers.indices where !workers[i].isRunning { workers[i] = try startWorker() }
        }
        guard try finished(name) else { return Outcome(faults: note, digest: nil) }
        return Outcome(faults: note.isEmpty ? "none (the run finished first)" : note, digest: try RunDigest(connect(), run: name))
    }
}

/// What must be identical between two runs of the same file: every checkpoint's sha256, rewards, samples (images
/// by md5), metrics (timings aside), evaluations, and the jobs (each completed exactly once).
struct RunDigest {
    var parts: [String: [String]] = [:]

    init(_ c: Connection, run: String) throws {
        let queries: [(String, String)] = [
            ("checkpoints", "SELECT step, kind, sha256 FROM checkpoints WHERE run_id = RUN ORDER BY 1, 2"),
            ("samples", "SELECT step, prompt_index, sample_index, reward, advantage, md5(png) FROM samples WHERE run_id = RUN ORDER BY 1, 2, 3"),
            ("rewards", "SELECT step, prompt_index, sample_index, name, value FROM rewards WHERE run_id = RUN ORDER BY 1, 2, 3, 4"),
            ("metrics", "SELECT step, name, value FROM metrics WHERE run_id = RUN AND name NOT LIKE 'seconds.%' ORDER BY 1, 2"),
            ("evaluations", "SELECT step, line, strict, md5(png) FROM eval_samples WHERE run_id = RUN ORDER BY 1, 2"),
            ("jobs", "SELECT stage, step, shard, state FROM jobs WHERE run_id = RUN ORDER BY 1, 2, 3"),
        ]
        for (name, q) in queries {
            parts[name] = try c.execute(SQL(unsafeSQL: q.replacingOccurrences(of: "RUN", with: "(SELECT id FROM runs WHERE name = $1)"),
                                            binds: [.text(run)])).rows.map { $0.values.map { "\($0)" }.joined(separator: "|") }
        }
    }

    /// The parts that differ from `other` (empty: identical); jobs must also all be completed.
    func differences(from other: RunDigest) -> [String] {
        var out = parts.keys.sorted().filter { parts[$0] != other.parts[$0] }.map { "\($0) (\(other.parts[$0]?.count ?? 0) vs \(parts[$0]?.count ?? 0) rows)" }
        if other.parts["jobs", default: []].contains(where: { !$0.contains("completed") }) { out.append("jobs not all completed") }
        return out
    }
}

/// A small deterministic generator for fault timings.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
