import Foundation
import Imaging
import Store

/// A point of a curve: (step, value).
public typealias CurvePoint = (x: Double, y: Double)

/// Everything a report shows of one run, read from the database (the views, the run row, the eval images).
public struct RunReportData {
    public let name: String
    public let state: String
    public let steps: Int
    public let stepsDone: Int
    public let config: String
    /// Mean, 10th and 90th percentile of the trained-on (weighted total) rollout reward per step.
    public var rewardMean: [CurvePoint] = [], rewardP10: [CurvePoint] = [], rewardP90: [CurvePoint] = []
    /// Eval strict accuracy per category (`overall` included) per eval step.
    public var evalStrict: [String: [CurvePoint]] = [:]
    /// Mean residual noise of the eval images per eval step.
    public var evalNoise: [CurvePoint] = []
    /// Objective metrics by name (approx_kl, kl, clip_fraction, grad_norm) per step.
    public var metrics: [String: [CurvePoint]] = [:]
    /// Seconds per step and the queue's share.
    public var stepSeconds: [CurvePoint] = [], queuePercent: [CurvePoint] = []
    /// One grid of eval images per eval step.
    public var grids: [(step: Int, image: RGBImage)] = []

    public init(name: String, state: String, steps: Int, stepsDone: Int, config: String) {
        self.name = name
        self.state = state
        self.steps = steps
        self.stepsDone = stepsDone
        self.config = config
    }

    /// Metrics the report plots.
    static let metricNames = ["approx_kl", "kl", "clip_fraction", "grad_norm", "ratio_max", "ratio_min"]

    /// Reads run `name`; `imagesPerCategory` eval images per category go into each step's grid.
    public static func load(_ c: Connection, name: String, imagesPerCategory: Int = 10) throws -> RunReportData {
        guard let run = try c.execute(RunStatements.byName(name)).single() else {
            throw ReportError("no run named \"\(name)\" (see `flowcps run list`)")
        }
        let id = Int64(try run.int("id"))
        var d = RunReportData(name: name, state: try run.string("state"), steps: try run.int("steps"),
                              stepsDone: try run.int("version"), config: try run.string("config"))
        for r in try c.execute(ViewStatements.rewardCurve(runID: id, reward: "total")).rows {
            let x = Double(try r.int("step"))
            d.rewardMean.append((x, try r.double("mean")))
            d.rewardP10.append((x, try r.double("p10")))
            d.rewardP90.append((x, try r.double("p90")))
        }
        for r in try c.execute(ViewStatements.evalCurve(runID: id)).rows {
            let x = Double(try r.int("step"))
            d.evalStrict[try r.string("category"), default: []].append((x, try r.double("strict")))
            if try r.string("category") == "overall", let noise = try r.optionalDouble("noise") { d.evalNoise.append((x, noise)) }
        }
        for r in try c.execute(ViewStatements.metrics(runID: id, names: metricNames.joined(separator: ","))).rows {
            d.metrics[try r.string("name"), default: []].append((Double(try r.int("step")), try r.double("value")))
        }
        for r in try c.execute(ViewStatements.stepTimings(runID: id)).rows {
            let x = Double(try r.int("step")), s = try r.double("step_seconds")
            d.stepSeconds.append((x, s))
            if let q = try r.optionalDouble("queue_seconds"), s > 0 { d.queuePercent.append((x, 100 * q / s)) }
        }
        for step in try c.execute(EvalSampleStatements.steps(runID: id)).rows.map({ try $0.int("step") }) {
            // Categories in the order of the eval prompts, each with its first images.
            var categories: [String] = [], images: [String: [RGBImage]] = [:]
            for r in try c.execute(EvalSampleStatements.export(runID: id, step: step, images: true)).rows {
                let category = try r.string("category")
                if images[category] == nil { categories.append(category); images[category] = [] }
                guard images[category, default: []].count < imagesPerCategory, let png = try r.optionalBytes("png") else { continue }
                do { images[category, default: []].append(try PNGCodec.decode(png)) } catch let e as ImagingError {
                    throw ReportError("run \(name): an eval image of step \(step) does not decode: \(e.message)")
                }
            }
            let rows = categories.map { GridRow(caption: $0.replacingOccurrences(of: "_", with: " "), images: images[$0] ?? []) }
            var style = ImageGrid.Style()
            style.cellScale = 2
            style.captionScale = 1
            d.grids.append((step, ImageGrid.render(rows, style: style)))
        }
        return d
    }
}

/// A report that cannot be made (unknown run, unreadable data), in one line.
public struct ReportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
