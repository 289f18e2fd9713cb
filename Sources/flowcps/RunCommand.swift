import ArgumentParser
import Foundation
import Pipeline
import Store
import Training

/// `flowcps run`: submit and steer pipeline runs.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Submit, list, inspect, pause, resume, cancel and export pipeline runs.",
        subcommands: [Submit.self, List.self, Status.self, Pause.self, Resume.self, Cancel.self, Export.self]
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
        static let configuration = CommandConfiguration(abstract: "A run's state, step, jobs by state and latest metrics.")
        @Argument(help: "Run name.") var name: String
        func run() throws {
            let c = try DB.connect()
            let r = try Runs(connection: c).find(name)
            print("\(r.name): \(r.state), step \(r.version)/\(r.steps)" + (r.reason.map { " — \($0)" } ?? ""))
            let counts = try JobQueue(connection: c).counts(runID: r.id)
            print("jobs: " + ["running", "available", "pending", "completed", "failed", "cancelled"]
                .compactMap { s in counts[s].map { "\(s) \($0)" } }.joined(separator: ", "))
            for m in try c.execute(MetricStatements.latest(runID: r.id)).rows {
                print(String(format: "  %@ = %.4f (step %d)", try m.string("name"), try m.double("value"), try m.int("step")))
            }
        }
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
            abstract: "Write a run's rollout and eval images (PNG), rewards.csv, metrics.csv and its config.")
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
