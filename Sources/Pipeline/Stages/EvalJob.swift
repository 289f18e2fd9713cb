import Foundation
import Imaging
import Rewards
import Store
import Training

/// `eval` k, shard e: deterministic ODE sampling at the eval step count of one slice of the eval prompts with the
/// fixed eval seed (each prompt keeps its own seed key, so the shards together equal one whole evaluation), scored
/// by GenEval, every reward of the run and `noise`;
/// the last shard writes the per-category accuracies as metrics and, after the final step, completes the run.
enum EvalJob {
    static func run(_ env: StageEnvironment) throws -> StageOutput {
        let k = env.step, config = env.config
        let kind = config.ema.enabled && k > 0 ? "eval" : "policy"
        let model = try env.cache.model(env.connection, run: env.run, step: k, kind: kind, threads: env.threads)
        let all = Array(env.run.evalEntries.enumerated())
        let lower = env.job.shard * evalShardSize, upper = min(all.count, lower + evalShardSize)
        guard lower < upper else { throw PipelineError.invalid("eval step \(k) has no shard \(env.job.shard)") }
        let samples = try Evaluation.samples(model: model, entries: Array(all[lower..<upper]),
                                             config: try config.evalSamplerConfig(), guidance: config.eval.guidance,
                                             seed: config.eval.seed)
        let rewards = try env.config.weightedRewards()
        let rows = try samples.map { s in
            // GenEval's verdict, every reward of the run and their weighted total, and the residual noise.
            var values = ["score": s.score, "strict": s.strict, "accuracy": s.accuracy]
            let combined = try rewards.score(image: s.image, prompt: s.entry.prompt)
            for r in combined.rewards { values[r.name] = r.score.value }
            values["total"] = combined.total
            values["noise"] = s.noise
            let json = "{" + values.sorted { $0.key < $1.key }
                .map { "\"\($0.key)\": \(String(format: "%.17g", $0.value))" }.joined(separator: ", ") + "}"
            return (s, try PNGCodec.encode(s.image), json)
        }
        return StageOutput { c, _ in
            for (s, png, json) in rows {
                try c.execute(EvalSampleStatements.insert(runID: env.run.id, step: k, line: s.index,
                                                          category: s.entry.category.rawValue, prompt: s.entry.prompt,
                                                          png: png, strict: s.strict == 1, rewardsJSON: json))
            }
            let g = env.graph(c)
            guard try g.arrive(.eval, step: k) else { return }
            let categories = try c.execute(EvalSampleStatements.categories(runID: env.run.id, step: k)).rows
            var stricts: [Double] = [], accuracies: [Double] = []
            for r in categories {
                let name = try r.string("category"), strict = try r.double("strict"), accuracy = try r.double("accuracy")
                stricts.append(strict)
                accuracies.append(accuracy)
                try c.execute(MetricStatements.insert(runID: env.run.id, step: k, name: "eval.strict.\(name)", value: strict))
                try c.execute(MetricStatements.insert(runID: env.run.id, step: k, name: "eval.accuracy.\(name)", value: accuracy))
            }
            if !stricts.isEmpty {
                let n = Double(stricts.count)
                try c.execute(MetricStatements.insert(runID: env.run.id, step: k, name: "eval.strict",
                                                      value: stricts.reduce(0, +) / n))
                try c.execute(MetricStatements.insert(runID: env.run.id, step: k, name: "eval.accuracy",
                                                      value: accuracies.reduce(0, +) / n))
            }
            if k >= config.steps { try g.finishRun() }
        }
    }
}
