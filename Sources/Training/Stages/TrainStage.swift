import GRPO
import Model
import NumericCore
import Sampling
import Scenes

/// What one `train` stage did: the objective's metrics over all terms and over the first mini-batch (whose ratios
/// are computed before any update: all exactly 1 on-policy), gradient norms before clipping, the learning rate.
public struct TrainMetrics: Sendable, Equatable {
    public var all = PolicyMetrics()
    public var firstMiniBatch = PolicyMetrics()
    /// One per optimizer step.
    public var gradNorms: [Double] = []
    /// Cosine between each mini-batch's gradient (before clipping) and the previous one's: a direct read of the
    /// gradient's signal-to-noise ratio (near 0: the mini-batches agree on little beyond noise).
    public var gradCosines: [Double] = []
    /// The objective per trained timestep index (which steps the update moves most).
    public var perTimestep: [Int: PolicyMetrics] = [:]
    public var learningRate = 0.0
    /// Samples trained (nonzero advantage) and skipped (zero advantage).
    public var trainedSamples = 0
    public var skippedSamples = 0
}

/// Stage `train` (docs/algorithms.md §3.1, Flow-GRPO `train_sd3.py`): the step's samples with nonzero advantage, in a
/// seeded order, split into `train.mini_batches` mini-batches, `train.passes` times over (each later pass
/// reshuffled; a sample keeps its trained timesteps); per mini-batch, for each trained timestep one
/// forward pass of the policy (and the reference when β > 0 or `train.log_base_kl`) over the samples that train it, the objective's
/// ∂L/∂v averaged over the mini-batch's terms, one backward pass; then grad-norm clipping, one AdamW step, EMA.
public enum TrainStage {
    /// Trains `state` on `samples` with `advantages` (aligned) at RL step `step`; `reference` is the frozen base,
    /// required when β > 0.
    public static func run(state: PolicyState, reference: FlowUNet?, samples: [RolloutTrajectory], advantages: [Double],
                           step: Int, config: RunConfig) throws -> TrainMetrics {
        guard samples.count == advantages.count else {
            throw ConfigError(field: "train", "\(samples.count) samples but \(advantages.count) advantages")
        }
        if config.train.beta > 0, reference == nil {
            throw ConfigError(field: "train.beta", "is \(config.train.beta) but no reference model was given")
        }
        let sampler = try config.samplerConfig()
        let n = sampler.grid.steps
        let anyStep = config.trainsDeterministicSteps
        let trainable = (0..<n).map { anyStep || sampler.transition(at: $0).isStochastic }
        let model = state.model
        for s in samples where s.states.count != n + 1 || s.logProbs.count != n {
            throw ConfigError(field: "train", "sample \(s.key) has \(s.states.count) states for a \(n)-step sampler")
        }

        var metrics = TrainMetrics()
        metrics.learningRate = config.learningRateSchedule.rate(at: step)
        var order = samples.indices.filter { advantages[$0] != 0 }
        metrics.trainedSamples = order.count
        metrics.skippedSamples = samples.count - order.count
        guard !order.isEmpty else {
            state.completedSteps = step + 1
            return metrics
        }
        // DiffusionNFT contrasts the policy with the one that drew the rollouts. Its velocity is read back from the
        // stored chain where it can be (`rolloutVelocityIsInChain`); elsewhere it is a forward pass of the weights as
        // this step began, kept here.
        var rolloutPolicy: FlowUNet? = nil
        if config.train.objective == .nft,
           (0..<n).contains(where: { trainable[$0] && !rolloutVelocityIsInChain(timestep: $0, sampler: sampler, config: config) }) {
            let snapshot = try FlowUNet(config: model.config, threads: model.threads)
            snapshot.copyParameters(from: model)
            rolloutPolicy = snapshot
        }
        var stream = RandomStream(key: StreamKey(seed: config.seed, domain: "train-order").child(step))
        stream.shuffle(&order)

        let trained = try order.map { i in
            try config.timestepSelection.steps(stochastic: trainable, key: StreamKey.sample(
                seed: config.seed, domain: "trained-timesteps", step: step, prompt: samples[i].key.prompt,
                sample: samples[i].key.sample))
        }
        let parts = min(config.train.miniBatches, order.count), passes = config.train.passes
        var previousGradient: [Float]? = nil
        for pass in 0..<passes {
            // Pass 0 takes the shuffled order as is; each later pass (Flow-GRPO's inner epochs) reshuffles it.
            var sequence = Array(order.indices)
            if pass > 0 {
                var passStream = RandomStream(key: StreamKey(seed: config.seed, domain: "train-pass").child(step).child(pass))
                passStream.shuffle(&sequence)
            }
            for part in 0..<parts {
                let range = (part * order.count / parts)..<((part + 1) * order.count / parts)
                let terms = range.reduce(0) { $0 + trained[sequence[$1]].count }
                model.zeroGradients()
                var partMetrics = PolicyMetrics()
                for t in 0..<n {
                    let members = range.map { sequence[$0] }.filter { trained[$0].contains(t) }.map { order[$0] }
                    guard !members.isEmpty else { continue }
                    try accumulate(timestep: t, members: members.map { samples[$0] },
                                   advantages: members.map { advantages[$0] }, scale: 1 / Double(terms),
                                   model: model, reference: reference, rolloutPolicy: rolloutPolicy, rlStep: step, sampler: sampler, config: config,
                                   metrics: &partMetrics, timestepMetrics: &metrics.perTimestep[t, default: PolicyMetrics()])
                }
                if parts * passes > 1 {
                    let gradient = Array(model.gradients)
                    if let previous = previousGradient { metrics.gradCosines.append(cosine(previous, gradient)) }
                    previousGradient = gradient
                }
                let norm = clipGradientNorm(model.gradients, maxNorm: Float(config.train.gradClip))
                guard norm.isFinite else {
                    throw ModelError(.badInput, "gradient norm became \(norm) at RL step \(step); lower train.lr")
                }
                metrics.gradNorms.append(Double(norm))
                state.adam.update(parameters: model.parameters, gradients: UnsafeBufferPointer(model.gradients),
                                  lr: Float(metrics.learningRate))
                if let ema = state.ema, state.adam.step % config.ema.every == 0 {
                    ema.update(with: UnsafeBufferPointer(model.parameters))
                }
                if pass == 0 && part == 0 { metrics.firstMiniBatch = partMetrics }
                metrics.all.merge(partMetrics)
            }
        }
        state.completedSteps = step + 1
        return metrics
    }

    /// cos∠(a, b), summed in index order in double precision (0 when either is zero).
    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, aa = 0.0, bb = 0.0
        for i in a.indices {
            let x = Double(a[i]), y = Double(b[i])
            dot += x * y
            aa += x * x
            bb += y * y
        }
        return aa == 0 || bb == 0 ? 0 : dot / (aa.squareRoot() * bb.squareRoot())
    }

    /// One forward/backward pass: the policy's velocity at stored state x_t of every member, the objective's
    /// gradient (× `scale`), back through the model (both CFG branches when training with guidance).
    /// With `train.objective: nft`, `rolloutPolicy` holds the weights that drew the rollouts (nil where every trained
    /// step reads their velocity from the chain).
    static func accumulate(timestep t: Int, members: [RolloutTrajectory], advantages: [Double], scale: Double,
                           model: FlowUNet, reference: FlowUNet?, rolloutPolicy: FlowUNet? = nil, rlStep: Int = 0, sampler: SamplerConfig,
                           config: RunConfig, metrics: inout PolicyMetrics, timestepMetrics: inout PolicyMetrics) throws {
        if config.train.objective == .nft {
            try accumulateNFT(timestep: t, members: members, advantages: advantages, scale: scale, model: model,
                              rolloutPolicy: rolloutPolicy, rlStep: rlStep, sampler: sampler, config: config, metrics: &metrics,
                              timestepMetrics: &timestepMetrics)
            return
        }
        let transition = sampler.transition(at: t)
        let kind = sampler.kind(at: t)
        let d = model.sampleSize
        let guidance = config.train.cfg ? config.sampler.guidance : 1
        let tokens = try members.map { try Tokenizer.encode($0.prompt) }
        let x = members.flatMap { $0.states[t] }
        let referenceVelocity: [Float]? = try reference.map {
            try ModelVelocity.function(model: $0, tokens: tokens, guidance: guidance)(x, transition.sigma)
        }
        let v = try ModelVelocity.function(model: model, tokens: tokens, guidance: guidance)(x, transition.sigma)
        let options = config.objectiveOptions
        var dv = [Float](repeating: 0, count: v.count)
        for (b, sample) in members.enumerated() {
            guard let old = sample.logProbs[t] else {
                throw ConfigError(field: "train", "sample \(sample.key) has no log-probability at step \(t)")
            }
            let span = (b * d)..<((b + 1) * d)
            let term = try PolicyObjective.evaluate(
                velocity: Array(v[span]), reference: referenceVelocity.map { Array($0[span]) },
                step: PolicyStep(state: sample.states[t], next: sample.states[t + 1], oldLogProb: old,
                                 advantage: advantages[b]),
                transition: transition, kind: kind, options: options)
            metrics.add(term.policy, kl: term.kl, beta: options.beta)
            timestepMetrics.add(term.policy, kl: term.kl, beta: options.beta)
            for j in 0..<d { dv[b * d + j] = Float(term.gradient[j] * scale) }
        }
        if guidance == 1 {
            model.backward(dVelocity: dv)
        } else {
            // v = v_u + w·(v_c − v_u): ∂L/∂v_c = w·g, ∂L/∂v_u = (1 − w)·g (conditional half first, as ModelVelocity).
            let w = Float(guidance)
            model.backward(dVelocity: dv.map { w * $0 } + dv.map { (1 - w) * $0 })
        }
    }

    /// Whether DiffusionNFT reads the rollout policy's velocity at step `t` from the stored chain instead of a
    /// forward pass: it trains the chain's own states (`train.nft_states: trajectory`), the step is deterministic
    /// (x_{t+1} is a function of x_t and v alone: `Transition.velocity(from:to:)`), and the rollouts used the plain
    /// conditional velocity (`sampler.guidance` 1), the one the objective contrasts with. Saves a quarter of the
    /// train stage's arithmetic on deterministic rollouts (CPS at η 0, the ODE).
    static func rolloutVelocityIsInChain(timestep t: Int, sampler: SamplerConfig, config: RunConfig) -> Bool {
        config.train.nftStates == .trajectory && config.sampler.guidance == 1 && !sampler.transition(at: t).isStochastic
    }

    /// The DiffusionNFT pass (NegativeAwareObjective): the policy's and the rollout policy's velocities at each
    /// member's state of noise level σ_t (its image re-noised with seeded noise, or its stored state x_t; see
    /// `train.nft_states`), the objective's gradient against the member's final image (× `scale`), back through
    /// the model. The rollout policy's velocity comes from the chain where `rolloutVelocityIsInChain`, otherwise
    /// from `rolloutPolicy`, the weights as the RL step began.
    static func accumulateNFT(timestep t: Int, members: [RolloutTrajectory], advantages: [Double], scale: Double,
                              model: FlowUNet, rolloutPolicy: FlowUNet?, rlStep: Int, sampler: SamplerConfig, config: RunConfig,
                              metrics: inout PolicyMetrics, timestepMetrics: inout PolicyMetrics) throws {
        let sigma = sampler.transition(at: t).sigma
        let d = model.sampleSize
        let tokens = try members.map { try Tokenizer.encode($0.prompt) }
        let states: [[Float]] = members.map { sample in
            guard config.train.nftStates == .forward else { return sample.states[t] }
            let image = sample.states[sample.states.count - 1]
            var noise = RandomStream(key: StreamKey.sample(seed: config.seed, domain: "nft-noise", step: rlStep,
                                                           prompt: sample.key.prompt, sample: sample.key.sample).child(t))
            let s = Float(sigma)
            return image.map { (1 - s) * $0 + s * noise.gaussian() }
        }
        let x = states.flatMap { $0 }
        let old: [Double]
        if rolloutVelocityIsInChain(timestep: t, sampler: sampler, config: config) {
            let transition = sampler.transition(at: t)
            old = try members.flatMap { sample -> [Double] in
                guard let v = transition.velocity(from: sample.states[t], to: sample.states[t + 1]) else {
                    throw ConfigError(field: "train", "sample \(sample.key): step \(t) of its chain holds no velocity")
                }
                return v
            }
        } else {
            guard let rolloutPolicy else {
                throw ConfigError(field: "train.objective", "DiffusionNFT needs the rollout policy's weights at step \(t)")
            }
            old = try ModelVelocity.function(model: rolloutPolicy, tokens: tokens, guidance: 1)(x, sigma).map(Double.init)
        }
        let v = try ModelVelocity.function(model: model, tokens: tokens, guidance: 1)(x, sigma)
        var dv = [Float](repeating: 0, count: v.count)
        for (b, sample) in members.enumerated() {
            let span = (b * d)..<((b + 1) * d)
            let term = try NegativeAwareObjective.evaluate(
                velocity: v[span].map(Double.init), old: Array(old[span]), state: states[b],
                image: sample.states[sample.states.count - 1], sigma: sigma, advantage: advantages[b],
                beta: config.train.nftBeta, advantageClip: config.advantage.clip)
            metrics.add(loss: term.loss, kl: 0, beta: 0)
            timestepMetrics.add(loss: term.loss, kl: 0, beta: 0)
            for j in 0..<d { dv[b * d + j] = Float(term.gradient[j] * scale) }
        }
        model.backward(dVelocity: dv)
    }
}
