import Imaging
import Model
import Sampling
import Store
import Training

/// `train` k: the policy state after k steps (the base model with fresh optimizer moments at k = 0) trained on the
/// step's trajectories and advantages. Writes the state and policy of step k+1, advances the run's model version
/// by compare-and-set (a replay cannot apply twice), deletes the consumed trajectories, thins old checkpoints and
/// starts step k+1.
enum TrainJob {
    static func run(_ env: JobEnvironment) throws -> JobOutput {
        let k = env.step, config = env.config
        guard env.run.version == k else {
            throw PipelineError.invalid("train step \(k): the run's model is at version \(env.run.version)")
        }
        let base = try env.cache.model(env.connection, run: env.run, step: 0, kind: .policy, threads: config.model.threads)
        let state = try PolicyState(base: base, config: config)
        if k > 0 {
            let bytes = try CheckpointCache.fetch(env.connection, run: env.run, step: k, kind: .state)
            // Against the identity stored at submit, not one this build recomputes: a newer worker continues the run.
            do { try state.restore(bytes: bytes, name: "\(env.run.name) state@\(k)", identity: env.run.fingerprint) } catch let e as ModelError {
                throw PipelineError.corrupt(e.message)
            }
        }
        let samples = try loadSamples(env)
        let metrics = try TrainStage.run(state: state, reference: config.train.beta > 0 ? base : nil,
                                         samples: samples.map(\.sample), advantages: samples.map(\.advantage),
                                         step: k, config: config)
        state.completedSteps = k + 1
        let stateBytes = try state.serialized(identity: env.run.fingerprint)
        let policyBytes = try Checkpoint.serialized(state.model, step: k + 1)
        // The evaluation weights (the EMA's) where an evaluation or the run file's checkpoint rule needs them.
        let evalBytes = config.ema.enabled && (env.run.evaluates(at: k + 1) || config.keepsCheckpoint(at: k + 1))
            ? try Checkpoint.serialized(try state.evaluationModel(), step: k + 1) : nil
        return JobOutput { c, held in
            guard try c.execute(RunStatements.advanceVersion(id: env.run.id, from: k)).affectedRows == 1 else {
                throw PipelineError.invalid("train step \(k): the model version moved (the step was applied already)")
            }
            try c.execute(CheckpointStatements.insert(runID: env.run.id, step: k + 1, kind: .state, data: stateBytes))
            try c.execute(CheckpointStatements.insert(runID: env.run.id, step: k + 1, kind: .policy, data: policyBytes))
            if let evalBytes {
                try c.execute(CheckpointStatements.insert(runID: env.run.id, step: k + 1, kind: .eval, data: evalBytes))
            }
            try c.execute(MetricStatements.insert(runID: env.run.id, step: k,
                                                  rows: RunMetrics.train(metrics).map { ($0.name, $0.value) }))
            try c.execute(TrajectoryStatements.delete(runID: env.run.id, step: k))
            // Keep the newest state, and the policies evaluations need (every eval step), the run file's
            // checkpoints (every checkpoint_every steps) and the newest.
            try c.execute(CheckpointStatements.thin(runID: env.run.id, kind: .state, before: k + 1, keepEvery: 0,
                                                    alsoEvery: 0))
            try c.execute(CheckpointStatements.thin(runID: env.run.id, kind: .policy, before: k + 1,
                                                    keepEvery: config.eval.every, alsoEvery: config.checkpointEvery))
            try env.graph(c).startStep(k + 1, held: held)
        }
    }

    /// The step's samples with their trajectories and advantages, in (prompt, sample) order.
    static func loadSamples(_ env: JobEnvironment) throws -> [(sample: RolloutTrajectory, advantage: Double)] {
        let c = env.connection
        let meta = try c.execute(SampleStatements.advantages(runID: env.run.id, step: env.step)).rows
        let chains = try c.execute(TrajectoryStatements.forStep(runID: env.run.id, step: env.step)).rows
        guard meta.count == env.config.samplesPerStep, chains.count == meta.count else {
            throw PipelineError.invalid("train step \(env.step): \(meta.count) samples and \(chains.count) trajectories, "
                                        + "expected \(env.config.samplesPerStep)")
        }
        return try zip(meta, chains).map { m, t in
            guard try m.int("prompt_index") == t.int("prompt_index"), try m.int("sample_index") == t.int("sample_index") else {
                throw PipelineError.invalid("train step \(env.step): samples and trajectories do not pair up")
            }
            guard try t.string("sha256") == t.string("actual") else {
                throw PipelineError.corrupt("trajectory (\(try m.int("prompt_index")), \(try m.int("sample_index"))) of step \(env.step) does not match its sha256")
            }
            guard let advantage = try m.optionalDouble("advantage") else {
                throw PipelineError.invalid("train step \(env.step): a sample has no advantage")
            }
            let key = SampleKey(seed: env.config.seed, step: env.step, prompt: try m.int("prompt_index"),
                                sample: try m.int("sample_index"))
            let sample = RolloutTrajectory(key: key, prompt: try m.string("prompt"),
                                           states: try TrajectoryCodec.decodeStates(try t.bytes("states")),
                                           logProbs: try TrajectoryCodec.decodeLogProbs(try t.bytes("log_probs")))
            return (sample, advantage)
        }
    }
}
