import Foundation
import Store

/// Writes a run's results as files: `config.yaml`, `samples.csv` (every rollout sample: prompt, seed, total reward,
/// advantage, each named reward), `eval.csv`, `metrics.csv`, `curves.csv` (one row per step: the rollout reward's
/// statistics, the eval's accuracies, score and noise, the objective's metrics, the step's seconds), and the images
/// as `samples/step-K/P-S.png` and `eval/step-K/LINE.png`. Reads one step at a time, so a long run exports in
/// bounded memory.
public struct RunExport {
    public let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    public struct Counts: Sendable {
        public var samples = 0, evalSamples = 0, metrics = 0
    }

    public func export(name: String, to folder: String, images: Bool) throws -> Counts {
        let run = try Runs(connection: connection).find(name)
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let config = try connection.execute(RunStatements.byID(run.id)).rows[0].string("config")
        try config.write(toFile: folder + "/config.yaml", atomically: true, encoding: .utf8)
        var counts = Counts()

        var samples = "step,prompt_index,sample_index,line,prompt,seed,reward,advantage,rewards\n"
        for s in try connection.execute(SampleStatements.steps(runID: run.id)).rows.map({ try $0.int("step") }) {
            let dir = folder + "/samples/step-\(s)"
            if images { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            for r in try connection.execute(SampleStatements.export(runID: run.id, step: s, images: images)).rows {
                let p = try r.int("prompt_index"), j = try r.int("sample_index")
                samples += [String(s), String(p), String(j), String(try r.int("line")), CSV.field(try r.string("prompt")),
                            String(UInt64(bitPattern: Int64(try r.int("seed")))), CSV.number(try r.optionalDouble("reward")),
                            CSV.number(try r.optionalDouble("advantage")), CSV.field(try r.string("rewards"))]
                    .joined(separator: ",") + "\n"
                if let png = try r.optionalBytes("png") { try Data(png).write(to: URL(fileURLWithPath: "\(dir)/\(p)-\(j).png")) }
                counts.samples += 1
            }
        }
        try samples.write(toFile: folder + "/samples.csv", atomically: true, encoding: .utf8)

        var evals = "step,line,category,prompt,strict,rewards\n"
        for s in try connection.execute(EvalSampleStatements.steps(runID: run.id)).rows.map({ try $0.int("step") }) {
            let dir = folder + "/eval/step-\(s)"
            if images { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            for r in try connection.execute(EvalSampleStatements.export(runID: run.id, step: s, images: images)).rows {
                let line = try r.int("line")
                evals += [String(s), String(line), try r.string("category"), CSV.field(try r.string("prompt")),
                          (try r.value("strict")) == .bool(true) ? "1" : "0", CSV.field(try r.string("rewards"))]
                    .joined(separator: ",") + "\n"
                if let png = try r.optionalBytes("png") { try Data(png).write(to: URL(fileURLWithPath: "\(dir)/\(line).png")) }
                counts.evalSamples += 1
            }
        }
        try evals.write(toFile: folder + "/eval.csv", atomically: true, encoding: .utf8)

        var metrics = "step,name,value\n"
        for r in try connection.execute(MetricStatements.all(runID: run.id)).rows {
            metrics += "\(try r.int("step")),\(CSV.field(try r.string("name"))),\(CSV.number(try r.double("value")))\n"
            counts.metrics += 1
        }
        try metrics.write(toFile: folder + "/metrics.csv", atomically: true, encoding: .utf8)
        try curves(runID: run.id).write(toFile: folder + "/curves.csv", atomically: true, encoding: .utf8)
        return counts
    }

    /// Metrics copied into `curves.csv`.
    static let curveMetrics = ["loss", "approx_kl", "kl", "clip_fraction", "grad_norm"]

    /// One row per step with a value: reward_mean/std/p10/p90 (the weighted total trained on), eval_strict,
    /// eval_accuracy, eval_score (mean partial score), eval_noise, eval_strict_<category> per category, the
    /// objective's metrics, step_seconds and queue_seconds. Empty where a step has no such value.
    func curves(runID: Int64) throws -> String {
        var table: [Int: [String: Double]] = [:]
        var categories: Set<String> = []
        for r in try connection.execute(ViewStatements.rewardStatistics(runID: runID, reward: "total")).rows {
            let step = try r.int("step")
            for c in ["mean", "std", "p10", "p90"] { table[step, default: [:]]["reward_" + c] = try r.double(c) }
        }
        for r in try connection.execute(ViewStatements.evalCurve(runID: runID)).rows {
            let step = try r.int("step"), category = try r.string("category")
            if category == "overall" {
                table[step, default: [:]]["eval_strict"] = try r.double("strict")
                table[step, default: [:]]["eval_accuracy"] = try r.optionalDouble("accuracy")
                table[step, default: [:]]["eval_noise"] = try r.optionalDouble("noise")
            } else {
                categories.insert(category)
                table[step, default: [:]]["eval_strict_" + category] = try r.double("strict")
            }
        }
        for r in try connection.execute(ViewStatements.evalRewardMean(runID: runID, reward: "score")).rows {
            table[try r.int("step"), default: [:]]["eval_score"] = try r.double("mean")
        }
        let names = Self.curveMetrics.joined(separator: ",")
        for r in try connection.execute(ViewStatements.metrics(runID: runID, names: names)).rows {
            table[try r.int("step"), default: [:]][try r.string("name")] = try r.double("value")
        }
        for r in try connection.execute(ViewStatements.stepTimings(runID: runID)).rows {
            let step = try r.int("step")
            table[step, default: [:]]["step_seconds"] = try r.optionalDouble("step_seconds")
            table[step, default: [:]]["queue_seconds"] = try r.optionalDouble("queue_seconds")
        }
        let columns = ["reward_mean", "reward_std", "reward_p10", "reward_p90", "eval_strict", "eval_accuracy",
                       "eval_score", "eval_noise"] + categories.sorted().map { "eval_strict_" + $0 }
            + Self.curveMetrics + ["step_seconds", "queue_seconds"]
        var text = (["step"] + columns).joined(separator: ",") + "\n"
        for step in table.keys.sorted() {
            let row = table[step]!
            text += ([String(step)] + columns.map { CSV.number(row[$0]) }).joined(separator: ",") + "\n"
        }
        return text
    }
}

/// RFC 4180 fields.
public enum CSV {
    /// `s` quoted (and its quotes doubled) when it holds a comma, quote or line break.
    public static func field(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    static func number(_ v: Double?) -> String {
        v.map { String($0) } ?? ""
    }
}
