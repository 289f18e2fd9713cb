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
    /// Standard errors of those accuracies (clustered by prompt), where recorded.
    public var evalStrictSE: [String: [CurvePoint]] = [:]
    /// Mean residual noise of the eval images per eval step.
    public var evalNoise: [CurvePoint] = []
    /// Objective metrics by name (approx_kl, kl, clip_fraction, grad_norm) per step.
    public var metrics: [String: [CurvePoint]] = [:]
    /// Seconds per step and the queue's share.
    public var stepSeconds: [CurvePoint] = [], queuePercent: [CurvePoint] = []
    /// One grid of eval images per eval step.
    public var grids: [(step: Int, image: RGBImage)] = []
    /// What the run is waiting for that no worker provides ("waiting for external reward align: …").
    public var notices: [String] = []

    public init(name: String, state: String, steps: Int, stepsDone: Int, config: String) {
        self.name = name
        self.state = state
        self.steps = steps
        self.stepsDone = stepsDone
        self.config = config
    }

    /// Objective metrics the report plots (`train.<name>` in the metric vocabulary).
    static let metricNames: Set<String> = ["approx_kl", "kl", "clip_fraction", "grad_norm", "ratio_max", "ratio_min"]

    /// Takes the curves from metric rows named as `RunMetrics` names them (any order): `reward.mean`/`p10`/`p90`,
    /// `eval.strict` and `eval.strict.<category>`, `eval.noise`, `train.<objective metric>`, and, when
    /// `stepSecondsFromStages`, a step's seconds as the sum of its `seconds.<stage>` rows (plan … train).
    public mutating func add(metrics rows: [(step: Int, name: String, value: Double)], stepSecondsFromStages: Bool) {
        var seconds: [Int: Double] = [:]
        for r in rows.sorted(by: { $0.step < $1.step }) {
            let x = Double(r.step)
            switch r.name {
            case "reward.mean": rewardMean.append((x, r.value))
            case "reward.p10": rewardP10.append((x, r.value))
            case "reward.p90": rewardP90.append((x, r.value))
            case "eval.strict": evalStrict["overall", default: []].append((x, r.value))
            case "eval.noise": evalNoise.append((x, r.value))
            case "eval.strict_se": evalStrictSE["overall", default: []].append((x, r.value))
            case let n where n.hasPrefix("eval.strict_se."):
                evalStrictSE[String(n.dropFirst("eval.strict_se.".count)), default: []].append((x, r.value))
            case let n where n.hasPrefix("eval.strict.") && !n.hasPrefix("eval.strict_se."):
                evalStrict[String(n.dropFirst("eval.strict.".count)), default: []].append((x, r.value))
            case let n where n.hasPrefix("train.") && Self.metricNames.contains(String(n.dropFirst(6))):
                metrics[String(n.dropFirst(6)), default: []].append((x, r.value))
            case "seconds.plan", "seconds.rollout", "seconds.score", "seconds.advantage", "seconds.train":
                seconds[r.step, default: 0] += r.value
            default: break
            }
        }
        if stepSecondsFromStages {
            stepSeconds = seconds.keys.sorted().map { (Double($0), seconds[$0]!) }
        }
    }

    /// Adds the eval grid of `step`: the first `imagesPerCategory` images of each category, categories in the order
    /// their first image comes.
    public mutating func addGrid(step: Int, images: [(category: String, image: RGBImage)], imagesPerCategory: Int = 10) {
        grids.append((step, RunReportData.grid(images: images, imagesPerCategory: imagesPerCategory)))
    }

    /// The grid of eval images: one row per category (in the order their first image comes) with its first
    /// `imagesPerCategory` images, cells at twice their size.
    public static func grid(images: [(category: String, image: RGBImage)], imagesPerCategory: Int) -> RGBImage {
        var categories: [String] = [], byCategory: [String: [RGBImage]] = [:]
        for (category, image) in images {
            if byCategory[category] == nil { categories.append(category); byCategory[category] = [] }
            if byCategory[category, default: []].count < imagesPerCategory { byCategory[category]!.append(image) }
        }
        let rows = categories.map { GridRow(caption: $0.replacingOccurrences(of: "_", with: " "), images: byCategory[$0] ?? []) }
        var style = ImageGrid.Style()
        style.cellScale = 2
        style.captionScale = 1
        return ImageGrid.render(rows, style: style)
    }

    /// The eval images of one step of run `runID` (the first sample of each prompt line), by category.
    public static func evalImages(_ c: Connection, runID: Int64, runName: String, step: Int) throws -> [(category: String, image: RGBImage)] {
        var images: [(category: String, image: RGBImage)] = []
        // The grid shows one image per prompt line (its first): distinct prompts say more than repeats.
        for r in try c.execute(EvalSampleStatements.export(runID: runID, step: step, images: true)).rows {
            guard try r.int("sample") == 0, let png = try r.optionalBytes("png") else { continue }
            do { images.append((try r.string("category"), try PNGCodec.decode(png))) } catch let e as ImagingError {
                throw ReportError("run \(runName): an eval image of step \(step) does not decode: \(e.message)")
            }
        }
        return images
    }

    /// Reads run `name` from the database; `imagesPerCategory` eval images per category go into each step's grid.
    public static func load(_ c: Connection, name: String, imagesPerCategory: Int = 10) throws -> RunReportData {
        guard let run = try c.execute(RunStatements.byName(name)).single() else {
            throw ReportError("no run named \"\(name)\" (see `flowcps run list`)")
        }
        let id = Int64(try run.int("id"))
        var d = RunReportData(name: name, state: try run.string("state"), steps: try run.int("steps"),
                              stepsDone: try run.int("version"), config: try run.string("config"))
        let rows = try c.execute(MetricStatements.all(runID: id)).rows.map { r in
            (step: try r.int("step"), name: try r.string("name"), value: try r.double("value"))
        }
        d.add(metrics: rows, stepSecondsFromStages: false)
        d.notices = try ExternalRewardWait.read(c, runID: id).map(\.message)
        for r in try c.execute(ViewStatements.stepTimings(runID: id)).rows {
            let x = Double(try r.int("step")), s = try r.double("step_seconds")
            d.stepSeconds.append((x, s))
            if let q = try r.optionalDouble("queue_seconds"), s > 0 { d.queuePercent.append((x, 100 * q / s)) }
        }
        for step in try c.execute(EvalSampleStatements.steps(runID: id)).rows.map({ try $0.int("step") }) {
            d.addGrid(step: step, images: try evalImages(c, runID: id, runName: name, step: step), imagesPerCategory: imagesPerCategory)
        }
        return d
    }
}

/// A report that cannot be made (unknown run, unreadable data), in one line.
public struct ReportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
