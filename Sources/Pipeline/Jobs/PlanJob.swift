import Store
import Training

/// `plan` k: the step's prompts (seeded epoch permutation) as rollout shards; opens the score barrier (one arrival
/// per shard and reward job: the internal score and each external reward) and
/// enqueues one rollout job per shard.
enum PlanJob {
    static func run(_ env: JobEnvironment) throws -> JobOutput {
        let plan = try PlanStage.run(step: env.step, config: env.config, trainSet: env.run.trainSet)
        return JobOutput { c, held in
            let g = env.graph(c)
            try g.createBarrier(.score, step: env.step,
                                expected: ExternalRewardJob.expectedArrivals(shards: plan.shards.count, config: env.config))
            for s in plan.shards { try g.enqueue(.rollout, step: env.step, shard: s.index, held: held) }
        }
    }

    /// Shard `index` of step `step`'s plan (plans are pure functions of the run, so every stage recomputes them).
    static func shard(_ env: JobEnvironment) throws -> RolloutShard {
        let plan = try PlanStage.run(step: env.step, config: env.config, trainSet: env.run.trainSet)
        guard let s = plan.shards.first(where: { $0.index == env.job.shard }) else {
            throw PipelineError.invalid("step \(env.step) has no rollout shard \(env.job.shard)")
        }
        return s
    }
}
