import Foundation
import Imaging

/// The folder of a `flowcps rl` run, laid out as `flowcps run export` lays out a pipeline run, so that one reader
/// (`flowcps report`) and the same scripts serve both:
///
/// - `config.yaml`: every option, resolved;
/// - `metrics.csv`: `step,name,value`, one row per metric of `RunMetrics` (step = the RL step for rewards, training
///   and seconds; the RL steps done for `eval.*`);
/// - `eval.csv`: `step,line,category,prompt,strict,rewards,sample` (the image's values as JSON; `sample` numbers the
///   images of one line, `eval.samples_per_prompt`; files written before it have six columns, all sample 0) and
///   `eval/step-K/LINE.png` (sample 0) or `LINE-J.png` (sample J ≥ 1);
/// - `state.safetensors` (policy, AdamW moments, EMA: what `--resume` continues), `policy-K.safetensors` (the
///   evaluation weights kept by `checkpoint_every`, and the last step's), `policy.safetensors` (the final weights).
public struct RunFolder {
    public let path: String
    private var metrics: FileHandle?
    private var evals: FileHandle?

    public init(path: String) {
        self.path = path
    }

    public var configPath: String { path + "/config.yaml" }
    public var metricsPath: String { path + "/metrics.csv" }
    public var evalPath: String { path + "/eval.csv" }
    public var statePath: String { path + "/state.safetensors" }
    public var policyPath: String { path + "/policy.safetensors" }
    public func checkpointPath(step: Int) -> String { path + "/policy-\(step).safetensors" }

    static let metricsHeader = "step,name,value"
    public static let evalHeader = "step,line,category,prompt,strict,rewards,sample"

    /// The file of an eval image in `eval/step-K/`: `LINE.png` for a line's first image (as every build names it),
    /// `LINE-J.png` for its J-th.
    public static func evalImageName(line: Int, sample: Int) -> String {
        sample == 0 ? "\(line).png" : "\(line)-\(sample).png"
    }

    /// Opens the logs for appending after `first` completed steps: rows of later steps (written before a crash) are
    /// dropped, so a resumed run writes each row once.
    public mutating func open(completedSteps first: Int) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        // An evaluation counts as written once its metrics are (they come after its images).
        let evaluated = try hasEvaluation(at: first)
        metrics = try Self.rewrite(metricsPath, header: Self.metricsHeader) { step, name in
            step < first || (step == first && evaluated && name.hasPrefix("eval."))
        }
        evals = try Self.rewrite(evalPath, header: Self.evalHeader) { step, _ in step < first || (step == first && evaluated) }
    }

    /// True when the folder's metrics hold an evaluation after `step` completed steps.
    public func hasEvaluation(at step: Int) throws -> Bool {
        try Self.readMetrics(path: metricsPath).contains { $0.step == step && $0.name == "eval.strict" }
    }

    /// Appends metric rows of `step`.
    public func append(_ values: [NamedValue], step: Int) {
        let text = values.map { "\(step),\(CSV.field($0.name)),\(CSV.number($0.value))\n" }.joined()
        metrics?.write(Data(text.utf8))
    }

    /// Appends an evaluation after `step` completed steps: its images' rows and PNGs, and its metrics.
    public func appendEvaluation(_ images: [ScoredEvalImage], step: Int) throws {
        let dir = path + "/eval/step-\(step)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var text = ""
        for e in images {
            let s = e.sample
            try Data(try PNGCodec.encode(s.image))
                .write(to: URL(fileURLWithPath: dir + "/" + Self.evalImageName(line: s.index, sample: s.sample)))
            text += [String(step), String(s.index), s.entry.category.rawValue, CSV.field(s.entry.prompt),
                     s.strict == 1 ? "1" : "0", CSV.field(e.valuesJSON), String(s.sample)].joined(separator: ",") + "\n"
        }
        evals?.write(Data(text.utf8))
        append(RunMetrics.eval(Evaluation.report(images.map(\.sample))), step: step)
    }

    /// Every metric row of a `metrics.csv` (a run folder's or an export's), in file order.
    public static func readMetrics(path: String) throws -> [(step: Int, name: String, value: Double)] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return try CSV.rows(text).dropFirst().map { r in
            guard r.count == 3, let step = Int(r[0]), let value = Double(r[2]) else {
                throw ConfigError(field: path, "a row is not step,name,value: \(r.joined(separator: ","))")
            }
            return (step, r[1], value)
        }
    }

    /// Every row of an `eval.csv`: the step, line, sample, category and prompt of each image (six-column rows of
    /// older files are sample 0).
    public static func readEvaluations(path: String) throws
        -> [(step: Int, line: Int, sample: Int, category: String, prompt: String)] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return try CSV.rows(text).dropFirst().map { r in
            guard r.count == 6 || r.count == 7, let step = Int(r[0]), let line = Int(r[1]),
                  let sample = r.count == 7 ? Int(r[6]) : 0, sample >= 0 else {
                throw ConfigError(field: path, "a row is not step,line,category,prompt,strict,rewards[,sample]")
            }
            return (step, line, sample, r[2], r[3])
        }
    }

    /// Rewrites `file` keeping its header and the rows `keep` accepts (by step and second field), and returns it
    /// open for appending.
    static func rewrite(_ file: String, header: String, keep: (Int, String) -> Bool) throws -> FileHandle {
        var lines = [header]
        if let text = try? String(contentsOfFile: file, encoding: .utf8) {
            for r in CSV.rows(text).dropFirst() where r.count >= 2 {
                if let step = Int(r[0]), keep(step, r[1]) { lines.append(r.map(CSV.field).joined(separator: ",")) }
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        guard let h = FileHandle(forWritingAtPath: file) else { throw ConfigError(field: file, "cannot append to it") }
        h.seekToEndOfFile()
        return h
    }
}
