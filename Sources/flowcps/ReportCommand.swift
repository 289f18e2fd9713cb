import ArgumentParser
import Foundation
import Imaging
import Pipeline
import Report
import Store
import Training

/// `flowcps report`: an HTML report of one run, or of several with their curves overlaid; a run is named (a
/// pipeline run in the database) or given as a folder (`flowcps rl`'s run folder, or `flowcps run export`'s).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write DIR/index.html (self-contained: SVG curves, eval image grids, config) and the grids as PNG.",
        discussion: """
        A RUN is a pipeline run's name, or a folder holding metrics.csv: the run folder of `flowcps rl`, or a \
        folder written by `flowcps run export`. A single name that is a sweep's (`flowcps sweep`) reports its \
        runs overlaid, with the sweep's table.
        Examples: flowcps report cps-1 --out runs/cps-1/report; flowcps report runs/cps-rl --out runs/cps-rl/report; \
        flowcps report cps-1 sde-1 --out runs/compare
        """
    )

    @Argument(help: "Run name(s), run folder(s), or a sweep name; two or more runs overlay their curves.") var names: [String]
    @Option(help: "Output folder (default: <folder>/report for a folder, runs/<name>/report for a name, or runs/compare-<names> for several).")
    var out: String?

    func validate() throws {
        if names.isEmpty { throw ValidationError("name at least one run") }
        if Set(names).count != names.count { throw ValidationError("a run is named twice") }
    }

    /// True when `s` names a run folder rather than a run in the database.
    static func isFolder(_ s: String) -> Bool {
        FileManager.default.fileExists(atPath: s + "/metrics.csv")
    }

    func run() throws {
        let labels = names.map { Self.isFolder($0) ? URL(fileURLWithPath: $0).lastPathComponent : $0 }
        let folder = out ?? (names.count == 1 ? (Self.isFolder(names[0]) ? names[0] + "/report" : "runs/\(names[0])/report")
                                              : "runs/compare-" + labels.joined(separator: "-"))
        do {
            if let path = names.first(where: { $0.contains("/") && !Self.isFolder($0) }) {
                throw ReportError("\(path) is not a run folder (it holds no metrics.csv)")
            }
            let connection = names.allSatisfy(Self.isFolder) ? nil : try DB.connect()
            // A single name that is no run but a sweep: the sweep's runs, overlaid, with its table.
            if names.count == 1, let connection, !Self.isFolder(names[0]),
               try connection.execute(RunStatements.byName(names[0])).rows.isEmpty,
               try Sweeps(connection: connection).exists(names[0]) {
                let members = try Sweeps(connection: connection).runs(names[0])
                let runs = try members.map { try RunReportData.load(connection, name: $0.run) }
                let table = SweepTable(name: names[0], runs: members)
                print("report: \(try ReportWriter.write(runs: runs, to: folder, sweep: table))")
                return
            }
            let runs = try zip(names, labels).map { name, label -> RunReportData in
                guard let connection, !Self.isFolder(name) else { return try Self.load(folder: name, label: label) }
                return try RunReportData.load(connection, name: name)
            }
            print("report: \(try ReportWriter.write(runs: runs, to: folder))")
        } catch let e as ReportError {
            throw InputError(e.description)
        }
    }

    /// A run folder: its config, metrics and eval images.
    static func load(folder: String, label: String) throws -> RunReportData {
        let config = (try? String(contentsOfFile: folder + "/config.yaml", encoding: .utf8)) ?? ""
        let steps = config.split(separator: "\n").first { $0.hasPrefix("steps:") }
            .flatMap { Int($0.dropFirst(6).trimmingCharacters(in: .whitespaces)) } ?? 0
        let metrics: [(step: Int, name: String, value: Double)]
        let evals: [(step: Int, line: Int, sample: Int, category: String, prompt: String)]
        do {
            metrics = try RunFolder.readMetrics(path: folder + "/metrics.csv")
            evals = try RunFolder.readEvaluations(path: folder + "/eval.csv")
        } catch let e as ConfigError {
            throw ReportError(e.description)
        }
        let done = metrics.filter { $0.name == "reward.mean" }.map(\.step).max().map { $0 + 1 } ?? 0
        var d = RunReportData(name: label, state: done >= steps ? "completed" : "stopped", steps: steps,
                              stepsDone: done, config: config)
        d.add(metrics: metrics, stepSecondsFromStages: true)
        for step in Set(evals.map(\.step)).sorted() {
            var images: [(category: String, image: RGBImage)] = []
            for e in evals where e.step == step && e.sample == 0 {  // one image per prompt line, as from the database
                let path = "\(folder)/eval/step-\(step)/" + RunFolder.evalImageName(line: e.line, sample: e.sample)
                guard FileManager.default.fileExists(atPath: path) else { continue }
                do { images.append((e.category, try PNGCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: path)))))) }
                catch let error as ImagingError { throw ReportError("\(path) does not decode: \(error.message)") }
            }
            d.addGrid(step: step, images: images)
        }
        return d
    }
}
