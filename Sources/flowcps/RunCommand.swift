import ArgumentParser
import Foundation
import Pipeline
import Scenes
import Store
import Training

/// `flowcps run`: submit and steer pipeline runs.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Submit, list, inspect, pause, resume, cancel and export pipeline runs.",
        subcommands: [Submit.self, List.self, Status.self, Compare.self, Pause.self, Resume.self, Cancel.self, Export.self]
    )

    struct Submit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a run file and queue its first jobs (workers then run it).",
            discussion: "Example: flowcps run submit pipelines/geneval-cps.yaml --name cps-1 --set steps=50")
        @Argument(help: "Run file (YAML).")
        var file: String
        @Option(help: "Run name (default: the file's `name`).")
        var name: String?
        @Option(name: .customLong("set"), help: "Override a field (repeatable): --set train.lr=2e-5")
        var overrides: [String] = []

        func run() throws {
            var config = try RunConfigFile.load(path: file, overrides: overrides)
            if let name { config.name = name }
            try config.validate()
            let c = try DB.connect()
            let run = try Runs(connection: c).submit(config: config)
            print("submitted run \(run.name) (id \(run.id)): \(run.steps) steps; start workers with `flowcps worker`")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every run with its state and progress.")
        func run() throws {
            let runs = try Runs(connection: try DB.connect()).list()
            if runs.isEmpty { print("no runs"); return }
            for r in runs {
                print("\(r.name)\t\(r.state)\tstep \(r.version)/\(r.steps)" + (r.reason.map { "\t\($0)" } ?? ""))
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A run's state, step, jobs by state and latest metrics; --follow: a live progress line.")
        @Argument(help: "Run name.") var name: String
        @Flag(help: "Keep showing progress (step k/N, ETA, running stages, queue, last rewards) until the run ends.")
        var follow = false
        @Option(help: "Seconds between refreshes with --follow.") var interval = 2.0

        func validate() throws {
            if !(interval > 0 && interval <= 3600) { throw ValidationError("--interval must be in (0, 3600] seconds") }
        }

        func run() throws {
            let c = try DB.connect()
            if follow { return try RunCommand.follow(c, name: name, interval: interval) }
            let r = try Runs(connection: c).find(name)
            print("\(r.name): \(r.state), step \(r.version)/\(r.steps)" + (r.reason.map { " — \($0)" } ?? ""))
            let counts = try JobQueue(connection: c).counts(runID: r.id)
            print("jobs: " + ([.running, .available, .pending, .completed, .failed, .cancelled] as [JobState])
                .compactMap { s in counts[s].map { "\(s) \($0)" } }.joined(separator: ", "))
            for w in try ExternalRewardWait.read(c, runID: r.id) { print(w.message) }
            let latest = try c.execute(MetricStatements.latest(runID: r.id)).rows
            if let table = try RunCommand.evalTable(latest) { print(table) }
            for m in latest {
                let v = try m.double("value")
                // Small values (a learning rate of 3e-5, a loss of 1e-7) in scientific notation rather than 0.0000.
                let shown = v == 0 || abs(v) >= 1e-3 ? String(format: "%.4f", v) : String(format: "%.3e", v)
                print(String(format: "  %@ = %@ (step %d)", try m.string("name"), shown, try m.int("step")))
            }
        }
    }

    /// The latest evaluation as one line per category, "strict ± se" (nil before the first evaluation).
    static func evalTable(_ latest: [Row]) throws -> String? {
        var values: [String: (step: Int, value: Double)] = [:]
        for m in latest { values[try m.string("name")] = (try m.int("step"), try m.double("value")) }
        guard let overall = values["eval.strict"] else { return nil }
        func cell(_ name: String, _ key: String) -> String? {
            guard let v = values["eval.strict" + key], v.step == overall.step else { return nil }
            let se = values["eval.strict_se" + key].flatMap { $0.step == overall.step ? $0.value : nil }
            return name.padding(toLength: 15, withPad: " ", startingAt: 0) + String(format: "%.3f", v.value)
                + (se.map { String(format: " ± %.3f", $0) } ?? "")
        }
        var lines = ["eval after step \(overall.step) (strict ± standard error, clustered by prompt):"]
        for k in PromptCategory.allCases { if let c = cell(k.rawValue, ".\(k.rawValue)") { lines.append("  " + c) } }
        if let c = cell("overall", "") { lines.append("  " + c) }
        return lines.joined(separator: "\n")
    }

    /// Redraws one progress line (a new line per change when not a terminal) until the run is finished.
    static func follow(_ c: Connection, name: String, interval: Double) throws {
        let stop = StopSignal()
        stop.installSignalHandlers()  // SIGTERM/SIGINT end the loop (and the terminal's line) even when inherited blocked
        let terminal = isatty(STDOUT_FILENO) != 0
        var last = ""
        while true {
            let p = try RunProgress.read(c, name: name)
            let width = 24, filled = Int(Double(width) * Double(p.run.version) / Double(max(1, p.run.steps)))
            var line = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            line += " step \(p.run.version)/\(p.run.steps)"
            if !p.isFinished, let left = p.secondsLeft { line += "  ETA \(ProgressLine.duration(left))" }
            line += "  \(p.run.state)"
            if !p.running.isEmpty { line += "  running: " + p.running.joined(separator: ", ") }
            line += "  queue: \(p.counts[.available] ?? 0) ready, \(p.counts[.running] ?? 0) running"
            if let held = p.counts[.pending], held > 0 { line += ", \(held) held" }
            if let r = p.reward { line += String(format: "  reward %.3f@%d", r.value, r.step) }
            if let e = p.eval {
                line += String(format: "  eval %.3f", e.value) + (p.evalStandardError.map { String(format: "±%.3f", $0) } ?? "")
                    + "@\(e.step)"
            }
            if p.run.state == .paused, let reason = p.run.reason { line += "  (\(reason))" }
            for w in p.externalWaits { line += "  " + w.message }
            if terminal {
                FileHandle.standardOutput.write(Data(("\r\u{1B}[K" + line).utf8))
            } else if line != last {
                print(line)
            }
            last = line
            if p.isFinished || stop.isRequested { break }
            Thread.sleep(forTimeInterval: interval)
            if stop.isRequested { break }
        }
        if terminal { print() }
    }

    struct Pause: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Hold a run's jobs (running jobs finish).")
        @Argument(help: "Run name.") var name: String
        func run() throws { try Runs(connection: try DB.connect()).pause(name); print("paused \(name)") }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Release a paused run (failed jobs get new attempts).")
        @Argument(help: "Run name.") var name: String
        func run() throws { try Runs(connection: try DB.connect()).resume(name); print("resumed \(name)") }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a run for good.")
        @Argument(help: "Run name.") var name: String
        func run() throws { try Runs(connection: try DB.connect()).cancel(name); print("cancelled \(name)") }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a run as a folder: config, metrics.csv, eval.csv and images, checkpoints, samples.csv, curves.csv.")
        @Argument(help: "Run name.") var name: String
        @Option(help: "Output folder (default: runs/<name>/export).") var out: String?
        @Flag(help: "Skip the images (CSV files and config only).") var noImages = false
        func run() throws {
            let c = try DB.connect()
            let folder = out ?? "runs/\(name)/export"
            let n = try RunExport(connection: c).export(name: name, to: folder, images: !noImages)
            print("exported \(name) to \(folder): \(n.samples) rollout samples, \(n.evalSamples) eval samples, \(n.metrics) metric rows")
        }
    }
}
