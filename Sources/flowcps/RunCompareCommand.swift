import ArgumentParser
import Foundation
import Pipeline
import Store
import Training

extension RunCommand {
    /// `flowcps run compare A B`: two evaluations paired image by image.
    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare two evaluations image by image: strict B − A per category with paired standard errors.",
            discussion: """
            The images are paired by eval prompt line and sample number, so both evaluations must be of the same \
            eval prompts. By default each run's latest complete evaluation is used; comparing a run with itself \
            compares its first evaluation (step 0, the base) with its latest.
            Examples: flowcps run compare cps-1 cps-2
                      flowcps run compare cps-1 cps-1 --step-a 0 --step-b 40
            """)
        @Argument(help: "Run A (the reference).") var a: String
        @Argument(help: "Run B.") var b: String
        @Option(name: .customLong("step-a"), help: "A's evaluation after this many steps (default: its latest, or its first when A is B).")
        var stepA: Int?
        @Option(name: .customLong("step-b"), help: "B's evaluation after this many steps (default: its latest).")
        var stepB: Int?
        @Flag(help: "Print JSON instead of a table.") var json = false

        func run() throws {
            let c = try DB.connect()
            let runs = Runs(connection: c)
            let ra = try runs.find(a), rb = try runs.find(b)
            let stepsA = try EvalScores.evaluatedSteps(c, runID: ra.id), stepsB = try EvalScores.evaluatedSteps(c, runID: rb.id)
            func pick(_ run: String, _ steps: [Int], _ wanted: Int?, first: Bool) throws -> Int {
                guard let last = steps.last, let earliest = steps.first else {
                    throw InputError("run \(run) has no complete evaluation yet")
                }
                guard let wanted else { return first ? earliest : last }
                guard steps.contains(wanted) else {
                    throw InputError("run \(run) has no complete evaluation after step \(wanted); it has: "
                                     + steps.map(String.init).joined(separator: ", "))
                }
                return wanted
            }
            let ka = try pick(a, stepsA, stepA, first: a == b), kb = try pick(b, stepsB, stepB, first: false)
            let comparison: PairedComparison
            do {
                comparison = try PairedComparison(a: try EvalScores.read(c, runID: ra.id, step: ka),
                                                  b: try EvalScores.read(c, runID: rb.id, step: kb))
            } catch let e as ConfigError {
                throw InputError("\(a) step \(ka) and \(b) step \(kb) cannot be paired: \(e.message)")
            }
            guard !comparison.rows.isEmpty else {
                throw InputError("\(a) step \(ka) and \(b) step \(kb) share no eval image (different eval prompts or samples)")
            }
            if json { return print(try Self.json(comparison, a: (a, ka), b: (b, kb))) }
            print("A = \(a) after step \(ka), B = \(b) after step \(kb): strict accuracy, paired by eval prompt and sample"
                  + (comparison.unpaired > 0 ? " (\(comparison.unpaired) unpaired images left out)" : ""))
            print("category        images    A       B       B − A ± se         z")
            for r in comparison.rows {
                print(r.category.padding(toLength: 15, withPad: " ", startingAt: 0)
                      + String(format: " %6d    %.3f   %.3f   %+.3f ± %.3f   ", r.images, r.strictA, r.strictB,
                               r.difference, r.standardError)
                      + (r.zScore.map { String(format: "%5.1f", $0) } ?? "    —"))
            }
        }

        static func json(_ p: PairedComparison, a: (String, Int), b: (String, Int)) throws -> String {
            let rows: [[String: Any]] = p.rows.map { r in
                ["category": r.category, "images": r.images, "lines": r.lines, "strict_a": r.strictA,
                 "strict_b": r.strictB, "difference": r.difference, "standard_error": r.standardError]
            }
            let object: [String: Any] = ["a": ["run": a.0, "step": a.1], "b": ["run": b.0, "step": b.1],
                                         "unpaired": p.unpaired, "categories": rows]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
    }
}
