import ArgumentParser
import Foundation
import Report

/// `flowcps report`: an HTML report of one run, or of several with their curves overlaid.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write DIR/index.html (self-contained: SVG curves, eval image grids, config) and the grids as PNG.",
        discussion: "Examples: flowcps report cps-1 --out runs/cps-1/report; flowcps report cps-1 sde-1 --out runs/compare"
    )

    @Argument(help: "Run name(s); two or more overlay their curves.") var names: [String]
    @Option(help: "Output folder (default: runs/<name>/report, or runs/compare-<names> for several).") var out: String?

    func validate() throws {
        if names.isEmpty { throw ValidationError("name at least one run") }
        if Set(names).count != names.count { throw ValidationError("a run is named twice") }
    }

    func run() throws {
        let folder = out ?? (names.count == 1 ? "runs/\(names[0])/report"
                                              : "runs/compare-" + names.joined(separator: "-"))
        do {
            let page = try ReportWriter.write(try DB.connect(), names: names, to: folder)
            print("report: \(page)")
        } catch let e as ReportError {
            throw ValidationError(e.description)
        }
    }
}
