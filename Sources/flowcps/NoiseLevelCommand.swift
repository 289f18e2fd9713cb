import ArgumentParser
import Foundation
import Imaging
import Sampling

extension FlowCPS {
    /// `flowcps noise-level`: the CPS paper's Figure 2.
    struct NoiseLevel: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "noise-level",
            abstract: "Per-step noise level of Flow-SDE, Dance-SDE or CPS against the schedule (the CPS paper's Figure 2).",
            discussion: """
            Each step starts exactly on schedule with a perfect velocity (Theorem 1's setting); the table gives the \
            ideal level σ_{i+1}, the level the step leaves, and the accumulated error √Σ(N_i² − σ_{i+1}²). \
            --sampler and --noise take comma-separated lists; every combination becomes a series. --series names             the series one by one instead (sampler:noise, comma-separated).
            Example: flowcps noise-level --sampler flow-sde --noise 0.3,0.5,0.7,1.0 --steps 16 --shift 1 --plot fig2.svg
            Example: flowcps noise-level --series flow-sde:0.7,dance-sde:0.3,cps:0.7 --steps 10 --plot fig2-10.svg
            """
        )

        @Option(help: "Sampler(s): flow-sde, dance-sde, cps (comma-separated).")
        var sampler: String = "flow-sde"

        @Option(help: "Noise parameter(s): a for flow-sde, η for dance-sde and cps (comma-separated).")
        var noise: String = "0.7"

        @Option(help: "Series sampler:noise, comma-separated (e.g. flow-sde:0.7,cps:0.7); replaces --sampler/--noise.")
        var series: String?

        @Option(help: "Number of steps.")
        var steps: Int = 16

        @Option(help: "Time shift s(u) = shift·u/(1 + (shift − 1)·u) applied to the grid.")
        var shift: Double = 1

        @Option(help: "Grid: linspace (the authors' notebook) or sd3 (diffusers' scheduler).")
        var grid: String = "linspace"

        @Option(help: "Also measure each step's level by Monte Carlo through the sampler with this many values (0: no).")
        var measure = 0

        @Flag(help: "Print JSON: one object (several: an array) with ideal, per_step and accumulated_error.")
        var json = false

        @Option(help: "Write the figure to this .svg or .png file.")
        var plot: String?

        @Option(help: "Also write the excess over the schedule, N_i − σ_{i+1}, per step to this .svg or .png file.")
        var plotExcess: String?

        func run() throws {
            guard let gridKind = TimeGrid.Kind(rawValue: grid) else {
                throw InputError("unknown grid \"\(grid)\"; grids: \(TimeGrid.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let timeGrid: TimeGrid
            do { timeGrid = try TimeGrid(gridKind, steps: steps, shift: shift) } catch let e as SamplingError {
                throw InputError(e.message)
            }
            if measure != 0 && !(2...10_000_000).contains(measure) {
                throw InputError("--measure must be 0 or in 2…10000000, got \(measure)")
            }
            var reports: [NoiseLevelReport] = [], measured: [[Double]] = []
            for (name, n) in try pairs() {
                do {
                    let kind = try SamplerKind(name: name, noise: n)
                    reports.append(try NoiseLevelReport(sampler: kind, grid: timeGrid))
                    if measure > 0 {
                        measured.append(try NoiseLevelReport.measured(sampler: kind, grid: timeGrid, samples: measure, seed: 0))
                    }
                } catch let e as SamplingError {
                    throw InputError(e.message)
                }
            }
            if reports.isEmpty { throw InputError("no sampler given") }
            if let plot { try writePlot(reports, to: plot, excess: false) }
            if let plotExcess { try writePlot(reports, to: plotExcess, excess: true) }
            if json {
                var objects = reports.map(jsonObject)
                for i in measured.indices { objects[i]["measured"] = measured[i] }
                let value: Any = objects.count == 1 ? objects[0] : objects
                let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                for (i, r) in reports.enumerated() { printTable(r, measured: i < measured.count ? measured[i] : nil) }
            }
        }

        /// The (sampler, noise) pairs: `--series` in order, or every combination of `--sampler` and `--noise`.
        private func pairs() throws -> [(String, Double)] {
            func number(_ text: Substring, _ option: String) throws -> Double {
                guard let v = Double(text.trimmingCharacters(in: .whitespaces)) else {
                    throw InputError("\(option): \"\(text)\" is not a number")
                }
                return v
            }
            if let series {
                return try series.split(separator: ",").map { item in
                    let parts = item.split(separator: ":", omittingEmptySubsequences: false)
                    guard parts.count == 2 else { throw InputError("--series: \"\(item)\" is not sampler:noise") }
                    return (parts[0].trimmingCharacters(in: .whitespaces), try number(parts[1], "--series"))
                }
            }
            let noises = try noise.split(separator: ",").map { try number($0, "--noise") }
            return sampler.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .flatMap { name in noises.map { (name, $0) } }
        }

        private func label(_ r: NoiseLevelReport) -> String {
            switch r.sampler {
            case let .flowSDE(a): "Flow-SDE a=\(LineChart.formatted(a))"
            case let .danceSDE(eta): "Dance-SDE η=\(LineChart.formatted(eta))"
            case let .cps(eta): "CPS η=\(LineChart.formatted(eta))"
            case .ode: "ODE"
            }
        }

        private func printTable(_ r: NoiseLevelReport, measured: [Double]?) {
            print("\(label(r)), \(r.grid.steps) steps, shift \(LineChart.formatted(r.grid.shift)) (\(r.grid.kind.rawValue) grid)")
            print("step   ideal     actual    excess" + (measured == nil ? "" : "     measured (Monte Carlo, \(measure) values)"))
            for i in r.ideal.indices {
                print(String(format: "%4d   %.4f    %.4f    %+.4f", i + 1, r.ideal[i], r.perStep[i], r.perStep[i] - r.ideal[i])
                      + (measured.map { String(format: "    %.4f", $0[i]) } ?? ""))
            }
            print(String(format: "accumulated error %.4f\n", r.accumulatedError))
        }

        private func jsonObject(_ r: NoiseLevelReport) -> [String: Any] {
            ["sampler": r.sampler.name, "noise": r.sampler.noise, "steps": r.grid.steps, "shift": r.grid.shift,
             "grid": r.grid.kind.rawValue, "ideal": r.ideal, "per_step": r.perStep,
             "accumulated_error": r.accumulatedError]
        }

        /// The levels per step against the ideal, or (`excess`) their excess over the ideal, which shows the end of
        /// the chain where the levels themselves are all near 0.
        private func writePlot(_ reports: [NoiseLevelReport], to path: String, excess: Bool) throws {
            let first = reports[0]
            func points(_ values: [Double]) -> [(x: Double, y: Double)] {
                values.enumerated().map { (Double($0.offset + 1), $0.element - (excess ? first.ideal[$0.offset] : 0)) }
            }
            var series = [LineSeries(name: "ideal", points: points(first.ideal), dashed: true)]
            for r in reports { series.append(LineSeries(name: label(r), points: points(r.perStep))) }
            let what = excess ? "Excess noise over the schedule" : "Noise level per step"
            let chart = LineChart(title: "\(what) (\(first.grid.steps) steps, shift \(LineChart.formatted(first.grid.shift)))",
                                  xLabel: "step", yLabel: excess ? "level above the ideal" : "noise level", series: series)
            try OutputPath.prepare(path)
            if path.lowercased().hasSuffix(".svg") {
                do { try Data(chart.svg().utf8).write(to: URL(fileURLWithPath: path)) } catch {
                    throw InputError("cannot write \(path): \(error.localizedDescription)")
                }
            } else if path.lowercased().hasSuffix(".png") {
                try PNGCodec.write(chart.raster(), to: path)
            } else {
                throw InputError("\(excess ? "--plot-excess" : "--plot") must end in .svg or .png, got \(path)")
            }
        }
    }
}
