import Sampling
import Store
import Training

/// `advantage` k: group-relative advantages of all the step's samples, the reward statistics as metrics, then the
/// train job.
enum AdvantageJob {
    static func run(_ env: StageEnvironment) throws -> StageOutput {
        let rows = try env.connection.execute(SampleStatements.rewards(runID: env.run.id, step: env.step)).rows
        let expected = env.config.samplesPerStep
        guard rows.count == expected else {
            throw PipelineError.invalid("step \(env.step): \(rows.count) samples, expected \(expected)")
        }
        let scores = try rows.map { r in
            guard let total = try r.optionalDouble("reward") else {
                throw PipelineError.invalid("step \(env.step): a sample has no reward yet")
            }
            return SampleScore(key: SampleKey(seed: env.config.seed, step: env.step, prompt: try r.int("prompt_index"),
                                              sample: try r.int("sample_index")), total: total, rewards: [])
        }
        let result = try AdvantageStage.run(scores: scores, config: env.config)
        let batch = result.batch
        return StageOutput { c, held in
            for (key, a) in zip(result.keys, result.advantages) {
                try c.execute(SampleStatements.setAdvantage(runID: env.run.id, step: env.step, prompt: key.prompt,
                                                            sample: key.sample, advantage: a))
            }
            for (name, value) in [("reward_mean", batch.rewardMean), ("reward_std", batch.rewardStd),
                                  ("zero_std_ratio", batch.zeroStdRatio), ("reward_std_mean", batch.rewardStdMean)] {
                try c.execute(MetricStatements.insert(runID: env.run.id, step: env.step, name: name, value: value))
            }
            try c.execute(MetricStatements.insertRewardMeans(runID: env.run.id, step: env.step))
            try env.graph(c).enqueue(.train, step: env.step, held: held)
        }
    }
}
