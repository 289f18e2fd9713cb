import ArgumentParser
import Foundation
import Pipeline
import Report
import Store
import Training

/// `flowcps sweep`: many runs of one run file, submitted together and compared side by side.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Submit a sweep (a run file at a grid or list of overrides, per seed); show its runs side by side.",
        discussion: """
        A sweep file names a base run file, overrides for every run (set), seeds, and either a grid (every \
        combination) or a list of points (docs/sweeps.md). Each point and seed becomes a pipeline run named \
        <sweep>-<point>-s<seed>, which any worker runs. `flowcps report <sweep>` overlays their curves.
        Example: flowcps sweep submit pipelines/sweeps/example.yaml; flowcps sweep status example
        """,
        subcommands: [Submit.self, Status.self, List.self, Cancel.self]
    )

    struct Submit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate every run of a sweep file, then queue them all (all or none).")
        @Argument(help: "Sweep file (YAML).") var file: String
        @Flag(help: "Print the runs the sweep would submit (name and overrides) and submit nothing.") var dryRun = false

        func run() throws {
            let sweep = try SweepFile.load(path: file)
            if dryRun {
                print("sweep \(sweep.name): \(sweep.members.count) runs of \(sweep.runFile)")
                for m in sweep.members {
                    print("  \(m.config.name)\tseed \(m.seed)\t" + (m.overrides.isEmpty ? "(the run file)" : m.overrides.joined(separator: ", ")))
                }
                return
            }
            let text = try String(contentsOfFile: file, encoding: .utf8)
            let runs = try Sweeps(connection: try DB.connect()).submit(sweep, fileText: text)
            let steps = runs.map(\.steps).reduce(0, +)
            print("submitted sweep \(sweep.name): \(runs.count) runs (\(steps) RL steps in all); "
                  + "start workers with `flowcps worker`; follow with `flowcps sweep status \(sweep.name)`")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A sweep's runs side by side (state, step, eval strict ± se, change), then each point over its seeds.")
        @Argument(help: "Sweep name.") var name: String

        func run() throws {
            let table = SweepTable(name: name, runs: try Sweeps(connection: try DB.connect()).runs(name))
            print(table.text(header: table.header, rows: table.rows))
            guard !table.pointRows.isEmpty else { return }
            print("\nper point, over its seeds (mean of each run's latest eval; se from the runs' eval errors):")
            print(table.text(header: table.pointHeader, rows: table.pointRows))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every sweep with its runs by state.")
        func run() throws {
            let sweeps = try Sweeps(connection: try DB.connect()).list()
            if sweeps.isEmpty { print("no sweeps"); return }
            for s in sweeps {
                print("\(s.name)\t\(s.runs) runs\t\(s.completed) completed, \(s.active) active" + (s.other > 0 ? ", \(s.other) paused, failed or cancelled" : ""))
            }
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel every unfinished run of a sweep.")
        @Argument(help: "Sweep name.") var name: String
        func run() throws {
            let c = try DB.connect()
            var n = 0
            for r in try Sweeps(connection: c).runs(name) where r.state == "active" || r.state == "paused" {
                try Runs(connection: c).cancel(r.run)
                n += 1
            }
            print("cancelled \(n) runs of sweep \(name)")
        }
    }
}

extension SweepTable {
    /// A sweep's runs and points as table cells: one definition for `sweep status` and the report.
    init(name: String, runs: [SweepRun]) {
        func strict(_ v: Double?, _ se: Double?) -> String {
            v.map { String(format: "%.3f", $0) + (se.map { String(format: " ± %.3f", $0) } ?? "") } ?? "–"
        }
        let rows = runs.map { r -> [String] in
            let change: String
            if let f = r.first, let l = r.last, l.step > f.step { change = String(format: "%+.3f", l.strict - f.strict) } else { change = "–" }
            return [r.run, String(r.point), String(r.seed), r.state, "\(r.stepsDone)/\(r.steps)",
                    r.first.map { String(format: "%.3f@%d", $0.strict, $0.step) } ?? "–",
                    r.last.map { strict($0.strict, $0.standardError) + "@\($0.step)" } ?? "–", change,
                    r.overrides.isEmpty ? "(the run file)" : r.overrides]
        }
        let points = SweepPointSummary.summarize(runs)
        let pointRows = runs.count > points.count ? points.map { p in
            [String(p.point), "\(p.evaluated)/\(p.runs)", strict(p.strict, p.standardError),
             p.change.map { String(format: "%+.3f", $0) } ?? "–", p.overrides.isEmpty ? "(the run file)" : p.overrides]
        } : []
        self.init(name: name,
                  header: ["run", "point", "seed", "state", "step", "eval first", "eval last ± se", "change", "overrides"],
                  rows: rows,
                  pointHeader: ["point", "runs evaluated", "eval last ± se (mean over seeds)", "change (mean)", "overrides"],
                  pointRows: pointRows)
    }

    /// The cells as aligned text columns.
    func text(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
        return all.map { r in
            r.enumerated().map { i, cell in i == r.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
