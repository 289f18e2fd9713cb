import Sampling
import Store
import Training

/// `advantage` k: group-relative advantages of all the step's samples, the reward statistics as metrics (`RunMetrics.rewards`), then the
/// train job.
enum AdvantageJob {
    static func run(_ env: JobEnvironment) throws -> JobOutput {
        let rows = try env.connection.execute(SampleStatements.rewards(runID: env.run.id, step: env.step)).rows
        let expected = env.config.samplesPerStep
        guard rows.count == expected else {
            throw PipelineError.invalid("step \(env.step): \(rows.count) samples, expected \(expected)")
        }
        var named: [SampleKey: [NamedValue]] = [:]
        for r in try env.connection.execute(RewardStatements.forStep(runID: env.run.id, step: env.step)).rows {
            let key = SampleKey(seed: env.config.seed, step: env.step, prompt: try r.int("prompt_index"),
                                sample: try r.int("sample_index"))
            named[key, default: []].append(NamedValue(name: try r.string("name"), value: try r.double("value")))
        }
        // With external rewards the score jobs leave the weighted total to this job (every reward is in by now).
        let sumsTotals = !env.config.externalRewards.isEmpty
        let scores = try rows.map { r in
            let key = SampleKey(seed: env.config.seed, step: env.step, prompt: try r.int("prompt_index"),
                                sample: try r.int("sample_index"))
            // Each named reward in the run file's order, as the score stage produced them.
            let byName = Dictionary((named[key] ?? []).map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            let rewards = try env.config.rewards.map { w in
                guard let v = byName[w.name] else {
                    throw PipelineError.invalid("step \(env.step): sample (\(key.prompt), \(key.sample)) has no \(w.name) reward")
                }
                return NamedValue(name: w.name, value: v)
            }
            let total: Double
            if sumsTotals {
                guard case let .success(t) = env.config.total(of: byName) else {
                    throw PipelineError.invalid("step \(env.step): sample (\(key.prompt), \(key.sample)) lacks a reward")
                }
                total = t
            } else {
                guard let stored = try r.optionalDouble("reward") else {
                    throw PipelineError.invalid("step \(env.step): a sample has no reward yet")
                }
                total = stored
            }
            return SampleScore(key: key, total: total, rewards: rewards)
        }
        let result = try AdvantageStage.run(scores: scores, config: env.config)
        let batch = result.batch
        return JobOutput { c, held in
            if sumsTotals {
                for batch in scores.batches() {
                    try c.execute(SampleStatements.set(.reward, runID: env.run.id, step: env.step,
                                                       rows: batch.map { ($0.key.prompt, $0.key.sample, $0.total) }))
                }
            }
            for batch in Array(zip(result.keys, result.advantages)).batches() {
                try c.execute(SampleStatements.set(.advantage, runID: env.run.id, step: env.step,
                                                   rows: batch.map { ($0.0.prompt, $0.0.sample, $0.1) }))
            }
            try c.execute(MetricStatements.insert(runID: env.run.id, step: env.step,
                                                  rows: RunMetrics.rewards(batch, scores: scores).map { ($0.name, $0.value) }))
            try env.graph(c).enqueue(.train, step: env.step, held: held)
        }
    }
}
