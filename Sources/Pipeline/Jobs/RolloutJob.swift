import Imaging
import Store
import Training

/// `rollout` k, shard s: G samples per prompt of the shard from the step-k policy; writes one `samples` row (PNG)
/// and one `trajectories` row (states, old log-probs) per sample, each table in one statement, then enqueues the shard's score job and one
/// job per external reward.
enum RolloutJob {
    static func run(_ env: JobEnvironment) throws -> JobOutput {
        let shard = try PlanJob.shard(env)
        let policy = try env.cache.model(env.connection, run: env.run, step: env.step, kind: .policy, threads: env.threads)
        let samples = try RolloutStage.run(policy: policy, shard: shard, step: env.step, config: env.config)
        let rows = try samples.map { s in
            (s, try PNGCodec.encode(s.image), TrajectoryCodec.encode(states: s.states),
             TrajectoryCodec.encode(logProbs: s.logProbs))
        }
        return JobOutput { c, held in
            for batch in rows.batches(of: 200) {
                try c.execute(SampleStatements.insert(runID: env.run.id, step: env.step, rows: batch.map { s, png, _, _ in
                    SampleStatements.NewSample(prompt: s.key.prompt, sample: s.key.sample, line: s.line, text: s.prompt,
                                               seed: s.key.seed, png: png)
                }))
                try c.execute(TrajectoryStatements.insert(runID: env.run.id, step: env.step, rows: batch.map { s, _, states, logProbs in
                    (s.key.prompt, s.key.sample, states, logProbs)
                }))
            }
            let g = env.graph(c)
            try g.enqueue(.score, step: env.step, shard: env.job.shard, held: held)
            for r in env.config.externalRewards {
                try g.enqueue(ExternalRewardJob.spec(run: env.run.id, step: env.step, shard: env.job.shard,
                                                     prompts: shard.prompts.map(\.index), reward: r.name, held: held))
            }
        }
    }
}
