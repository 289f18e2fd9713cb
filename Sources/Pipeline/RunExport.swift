import Foundation
import Model
import Store
import Training

/// Writes a run's results as files, laid out as `flowcps rl` lays out its run folder (`RunFolder`): `config.yaml`,
/// `metrics.csv`, `eval.csv` with `eval/step-K/LINE.png` (`LINE-J.png` for a line's J-th image), `policy-K.safetensors` and `policy.safetensors`; and
/// besides `samples.csv` (every rollout sample: prompt, seed, total reward, advantage, each named reward) with
/// `samples/step-K/P-S.png`, and `curves.csv` (one row per step: the main metrics side by side, the step's seconds). Reads one step at a time, so a long run exports in
/// bounded memory.
public struct RunExport {
    public let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    public struct Counts: Sendable {
        public var samples = 0, evalSamples = 0, metrics = 0, checkpoints = 0
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

        var evals = RunFolder.evalHeader + "\n"
        for s in try connection.execute(EvalSampleStatements.steps(runID: run.id)).rows.map({ try $0.int("step") }) {
            let dir = folder + "/eval/step-\(s)"
            if images { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            for r in try connection.execute(EvalSampleStatements.export(runID: run.id, step: s, images: images)).rows {
                let line = try r.int("line"), sample = try r.int("sample")
                evals += [String(s), String(line), try r.string("category"), CSV.field(try r.string("prompt")),
                          (try r.value("strict")) == .bool(true) ? "1" : "0", CSV.field(try r.string("rewards")),
                          String(sample)].joined(separator: ",") + "\n"
                if let png = try r.optionalBytes("png") {
                    try Data(png).write(to: URL(fileURLWithPath: dir + "/" + RunFolder.evalImageName(line: line, sample: sample)))
                }
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
        counts.checkpoints = try checkpoints(runID: run.id, config: config, to: folder)
        return counts
    }

    /// The run's evaluation weights as `flowcps rl` keeps them: `policy-K.safetensors` at every step the run file's
    /// checkpoint rule keeps (`RunConfig.keepsCheckpoint`) and still stored, and `policy.safetensors` of the newest
    /// step. The evaluation weights are the EMA's (kind `eval`) when the run keeps an EMA, else the policy's.
    func checkpoints(runID: Int64, config text: String, to folder: String) throws -> Int {
        let config = try RunConfigFile.decode(yaml: text)
        let kind: CheckpointKind = config.ema.enabled ? .eval : .policy
        var stored: [Int] = []
        for r in try connection.execute(CheckpointStatements.list(runID: runID)).rows where try r.string("kind") == kind.rawValue {
            stored.append(try r.int("step"))
        }
        var written = 0
        for step in stored where step > 0 && config.keepsCheckpoint(at: step) {
            try write(runID: runID, step: step, kind: kind, to: folder + "/policy-\(step).safetensors")
            written += 1
        }
        if let newest = stored.max(), newest > 0 {
            try write(runID: runID, step: newest, kind: kind, to: folder + "/policy.safetensors")
            written += 1
        }
        return written
    }

    /// Writes a stored checkpoint as a file, with the data checksum every checkpoint file carries.
    private func write(runID: Int64, step: Int, kind: CheckpointKind, to path: String) throws {
        guard let r = try connection.execute(CheckpointStatements.fetch(runID: runID, step: step, kind: kind)).single() else {
            throw PipelineError.invalid("checkpoint \(kind)@\(step) vanished during the export")
        }
        guard try r.string("sha256") == r.string("actual") else {
            throw PipelineError.corrupt("checkpoint \(kind)@\(step) does not match its sha256")
        }
        try SafetensorsFile.parse(try r.bytes("data"), name: "\(kind)@\(step)").write(path: path)
    }

    /// Metrics copied into `curves.csv` (besides `eval.strict.<category>`).
    static let curveMetrics = ["reward.mean", "reward.std", "reward.p10", "reward.p90", "eval.strict", "eval.strict_se",
                               "eval.accuracy", "eval.score", "eval.noise", "train.loss", "train.approx_kl", "train.kl",
                               "train.clip_fraction", "train.grad_norm"]

    /// One row per step with a value, one column per metric of `curveMetrics` and per `eval.strict.<category>`
    /// (names of `RunMetrics`), then `seconds.step` and `seconds.queue` (the step's wall time and its time waiting in
    /// the queue). Empty where a step has no such value.
    func curves(runID: Int64) throws -> String {
        var table: [Int: [String: Double]] = [:]
        var categories: Set<String> = []
        let wanted = Set(Self.curveMetrics)
        for r in try connection.execute(MetricStatements.all(runID: runID)).rows {
            let name = try r.string("name")
            let perCategory = name.hasPrefix("eval.strict.")
            guard wanted.contains(name) || perCategory else { continue }
            if perCategory { categories.insert(name) }
            table[try r.int("step"), default: [:]][name] = try r.double("value")
        }
        for r in try connection.execute(ViewStatements.stepTimings(runID: runID)).rows {
            let step = try r.int("step")
            table[step, default: [:]]["seconds.step"] = try r.optionalDouble("step_seconds")
            table[step, default: [:]]["seconds.queue"] = try r.optionalDouble("queue_seconds")
        }
        let columns = Self.curveMetrics + categories.sorted() + ["seconds.step", "seconds.queue"]
        var text = (["step"] + columns).joined(separator: ",") + "\n"
        for step in table.keys.sorted() {
            let row = table[step]!
            text += ([String(step)] + columns.map { CSV.number(row[$0]) }).joined(separator: ",") + "\n"
        }
        return text
    }
}
