import Foundation
import Imaging
import Rewards
import Scenes
import Store
import Training

/// `eval` k, shard e: deterministic ODE sampling at the eval step count of one slice of the eval prompts
/// (`eval.samples_per_prompt` images each) with the fixed eval seed (each image keeps its own seed key, so the
/// shards together equal one whole evaluation), scored by GenEval, every reward of the run and `noise`;
/// the last shard writes the per-category accuracies as metrics and, after the final step, completes the run.
enum EvalJob {
    static func run(_ env: JobEnvironment) throws -> JobOutput {
        let k = env.step, config = env.config
        let kind: CheckpointKind = config.evaluatesEMA && k > 0 ? .eval : .policy
        let model = try env.cache.model(env.connection, run: env.run, step: k, kind: kind, threads: env.threads)
        let all = Array(env.run.evalEntries.enumerated())
        let lower = env.job.shard * env.run.evalShardLines, upper = min(all.count, lower + env.run.evalShardLines)
        guard lower < upper else { throw PipelineError.invalid("eval step \(k) has no shard \(env.job.shard)") }
        let images = try EvalStage.images(model: model, entries: Array(all[lower..<upper]), config: config)
        let rows = try images.map { ($0, try PNGCodec.encode($0.sample.image)) }
        return JobOutput { c, _ in
            for batch in rows.batches(of: 200) {
                try c.execute(EvalSampleStatements.insert(runID: env.run.id, step: k, rows: batch.map { e, png in
                    EvalSampleStatements.NewEvalSample(line: e.sample.index, sample: e.sample.sample,
                                                       category: e.sample.entry.category.rawValue,
                                                       prompt: e.sample.entry.prompt, png: png, strict: e.sample.strict == 1,
                                                       rewardsJSON: e.valuesJSON)
                }))
            }
            let g = env.graph(c)
            guard try g.arrive(.eval, step: k) else { return }
            let scores = try EvalScores.read(c, runID: env.run.id, step: k)
            try c.execute(MetricStatements.insert(runID: env.run.id, step: k,
                                                  rows: RunMetrics.eval(Evaluation.summary(scores)).map { ($0.name, $0.value) }))
            if k >= config.steps { try g.finishRun() }
        }
    }
}
