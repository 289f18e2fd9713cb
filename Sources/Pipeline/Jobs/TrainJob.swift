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
        let state = try startingState(env, base: base)
        let samples = try loadSamples(env)
        let metrics = try TrainStage.run(state: state, reference: config.needsReference ? base : nil,
                                         samples: samples.map(\.sample), advantages: samples.map(\.advantage),
                                         step: k, config: config)
        state.completedSteps = k + 1
        let stateBytes = try state.serialized(identity: env.run.fingerprint)
        let policyBytes = try Checkpoint.serialized(state.model, step: k + 1)
        // The policy's own copy for the worker's cache (the state's model trains on).
        let policyModel = try Checkpoint.load(bytes: policyBytes, name: "\(env.run.name) policy@\(k + 1)",
                                              threads: config.model.threads).model
        // The evaluation weights (the EMA's) where an evaluation or the run file's checkpoint rule needs them.
        let evalBytes = config.ema.enabled && (env.run.evaluates(at: k + 1) || config.keepsCheckpoint(at: k + 1))
            ? try Checkpoint.serialized(try state.evaluationModel(), step: k + 1) : nil
        return JobOutput { c, held in
            guard try c.execute(RunStatements.advanceVersion(id: env.run.id, from: k)).affectedRows == 1 else {
                throw PipelineError.invalid("train step \(k): the model version moved (the step was applied already)")
            }
            let stored = try c.execute(CheckpointStatements.insert(runID: env.run.id, step: k + 1, kind: .state,
                                                                   data: stateBytes)).rows.first
            let policy = try c.execute(CheckpointStatements.insert(runID: env.run.id, step: k + 1, kind: .policy,
                                                                   data: policyBytes)).rows.first
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
            // This worker likely runs step k+1's rollouts and train next: keep what it would otherwise fetch back.
            if let stored { env.states.keep(state, runID: env.run.id, step: k + 1, sha256: try stored.string("sha256")) }
            if let policy { env.cache.remember(policyModel, hash: try policy.string("sha256")) }
        }
    }

    /// The state after k steps: the base with fresh moments at k = 0, else the one this worker left in memory when
    /// its hash is the stored one, else the stored bytes.
    static func startingState(_ env: JobEnvironment, base: FlowUNet) throws -> PolicyState {
        let k = env.step
        guard k > 0 else { return try PolicyState(base: base, config: env.config) }
        guard let row = try env.connection.execute(CheckpointStatements.hash(runID: env.run.id, step: k, kind: .state)).single() else {
            throw PipelineError.invalid("run \(env.run.name): no state checkpoint at step \(k)")
        }
        if let kept = env.states.take(runID: env.run.id, step: k, sha256: try row.string("sha256")) { return kept }
        let state = try PolicyState(base: base, config: env.config)
        let bytes = try CheckpointCache.fetch(env.connection, run: env.run, step: k, kind: .state)
        // Against the identity stored at submit, not one this build recomputes: a newer worker continues the run.
        do { try state.restore(bytes: bytes, name: "\(env.run.name) state@\(k)", identity: env.run.fingerprint) } catch let e as ModelError {
            throw PipelineError.corrupt(e.message)
        }
        return state
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
