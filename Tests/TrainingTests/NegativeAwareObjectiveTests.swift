import Foundation
import GRPO
import Model
import Sampling
import Scenes
import Testing
@testable import Training

/// DiffusionNFT's objective against the paper's formula written out independently here (implicit policies
/// v± = (1 ∓ β)·v_old ± β·v_θ, relative x0 errors), its gradient by central differences, and one train step.
struct NegativeAwareObjectiveTests {
    static let d = 12
    static func values(_ seed: Int, scale: Double = 1) -> [Double] {
        (0..<d).map { i -> Double in
            let angle = Double(seed * 31 + i * 7) * 0.37
            return scale * sin(angle)
        }
    }

    /// The loss with the adaptive weights frozen at `w` (they carry no gradient), from the paper's definitions.
    static func reference(v: [Double], old: [Double], x: [Double], x0: [Double], sigma: Double, a: Double, beta: Double,
                          clip: Double, w: (Double, Double)) -> Double {
        let r = min(max(0.5 + 0.5 * a / clip, 0), 1)
        var pos = 0.0, neg = 0.0
        for i in 0..<d {
            let p = x[i] - sigma * ((1 - beta) * old[i] + beta * v[i]) - x0[i]
            let n = x[i] - sigma * ((1 + beta) * old[i] - beta * v[i]) - x0[i]
            pos += p * p
            neg += n * n
        }
        return clip * (r * pos / w.0 + (1 - r) * neg / w.1) / (beta * Double(d))
    }

    static func weights(v: [Double], old: [Double], x: [Double], x0: [Double], sigma: Double, beta: Double) -> (Double, Double) {
        var p = 0.0, n = 0.0
        for i in 0..<d {
            p += abs(x[i] - sigma * ((1 - beta) * old[i] + beta * v[i]) - x0[i])
            n += abs(x[i] - sigma * ((1 + beta) * old[i] - beta * v[i]) - x0[i])
        }
        return (p / Double(d), n / Double(d))
    }

    @Test(arguments: [(0.7, 1.3, 1.0), (0.3, -2.0, 0.5), (0.9, 7.0, 1.0), (0.5, -9.0, 0.2), (0.6, 0.0, 1.0)])
    func valueAndGradientMatchThePaper(sigma: Double, advantage: Double, beta: Double) throws {
        let v = Self.values(1), old = Self.values(2), x = Self.values(3), x0 = Self.values(4, scale: 0.8)
        let term = try NegativeAwareObjective.evaluate(velocity: v, old: old, state: x.map(Float.init), image: x0.map(Float.init),
                                                       sigma: sigma, advantage: advantage, beta: beta, advantageClip: 5)
        let xs = x.map { Double(Float($0)) }, x0s = x0.map { Double(Float($0)) }
        let w = Self.weights(v: v, old: old, x: xs, x0: x0s, sigma: sigma, beta: beta)
        let loss = Self.reference(v: v, old: old, x: xs, x0: x0s, sigma: sigma, a: advantage, beta: beta, clip: 5, w: w)
        #expect(abs(term.loss - loss) <= 1e-9 * max(1, abs(loss)))
        #expect(term.optimality == min(max(0.5 + advantage / 10, 0), 1))
        let h = 1e-6
        for i in 0..<Self.d {
            var up = v, down = v
            up[i] += h
            down[i] -= h
            let numeric = (Self.reference(v: up, old: old, x: xs, x0: x0s, sigma: sigma, a: advantage, beta: beta, clip: 5, w: w)
                - Self.reference(v: down, old: old, x: xs, x0: x0s, sigma: sigma, a: advantage, beta: beta, clip: 5, w: w)) / (2 * h)
            #expect(abs(term.gradient[i] - numeric) <= 1e-6 * max(1, abs(numeric)), "component \(i)")
        }
    }

    @Test func atTheRolloutPolicyGoodSamplesPullAndBadSamplesPush() throws {
        let old = Self.values(2), x = Self.values(3).map(Float.init), x0 = Self.values(4).map(Float.init)
        func gradient(_ a: Double) throws -> [Double] {
            try NegativeAwareObjective.evaluate(velocity: old, old: old, state: x, image: x0, sigma: 0.5, advantage: a,
                                                beta: 1, advantageClip: 5).gradient
        }
        // The flow-matching direction for this image: x0 = x − σ·v*, so v* = (x − x0)/σ; a gradient step (−g) of a
        // good sample moves v toward v*, a bad sample's away, and a sample at its group's mean not at all.
        let toward = (0..<Self.d).map { (Double(x[$0]) - Double(x0[$0])) / 0.5 - old[$0] }
        func dot(_ g: [Double]) -> Double { zip(g, toward).reduce(0) { $0 - $1.0 * $1.1 } }
        #expect(try dot(gradient(3)) > 0)
        #expect(try dot(gradient(-3)) < 0)
        #expect(try gradient(0).allSatisfy { abs($0) < 1e-12 })
        // Opposite advantages give opposite gradients at v = v_old.
        let g3 = try gradient(3), gm3 = try gradient(-3)
        #expect(zip(g3, gm3).allSatisfy { abs($0 + $1) < 1e-9 })
    }

    @Test func badInputIsAClearError() {
        #expect(throws: ConfigError.self) {
            try NegativeAwareObjective.evaluate(velocity: [0], old: [0, 0], state: [0, 0], image: [0, 0], sigma: 0.5,
                                                advantage: 1, beta: 1, advantageClip: 5)
        }
        #expect(throws: ConfigError.self) {
            try NegativeAwareObjective.evaluate(velocity: [0], old: [0], state: [0], image: [0], sigma: 0.5,
                                                advantage: 1, beta: 0, advantageClip: 5)
        }
    }

    @Test func aTrainStepMovesThePolicyAndTheConfigGuardsHold() throws {
        var config = loopConfig()
        config.train.objective = .nft
        let (model, samples, advantages) = try RLLoopTests.firstShard(config)
        let state = try PolicyState(base: model, config: config)
        let step = try TrainStage.run(state: state, reference: nil, samples: samples, advantages: advantages, step: 0, config: config)
        #expect(step.trainedSamples == advantages.filter { $0 != 0 }.count)
        #expect(step.all.terms > 0 && step.all.loss.isFinite && step.gradNorms.allSatisfy { $0.isFinite && $0 > 0 })
        #expect(step.all.clipFraction == 0 && step.all.ratioMean == 1)
        #expect((0..<model.parameters.count).contains { model.parameters[$0] != state.model.parameters[$0] })
        // Deterministic: the same step again gives the same weights.
        let again = try PolicyState(base: model, config: config)
        _ = try TrainStage.run(state: again, reference: nil, samples: samples, advantages: advantages, step: 0, config: config)
        #expect((0..<model.parameters.count).allSatisfy { again.model.parameters[$0] == state.model.parameters[$0] })

        // Re-noised images instead of the rollouts' stored states: a different, equally deterministic update.
        config.train.nftStates = .forward
        let stored = try PolicyState(base: model, config: config)
        _ = try TrainStage.run(state: stored, reference: nil, samples: samples, advantages: advantages, step: 0, config: config)
        #expect((0..<model.parameters.count).contains { stored.model.parameters[$0] != state.model.parameters[$0] })

        config.train.beta = 0.1
        #expect(throws: ConfigError.self) { try config.validate() }
    }

    /// `train.adam_epsilon` reaches the optimizer: at the default ε the first AdamW step moves every parameter with a
    /// gradient by the rate (the update is m̂/√v̂ = ±1), while an ε far above the gradients scales each move down to
    /// lr·|g|/(|g| + ε) ≤ 2·lr·|g|: with the gradient's norm clipped to 1 over K moving parameters, the mean move
    /// shrinks by a factor of at least √K/2.
    @Test func adamEpsilonDampsTheFirstStep() throws {
        var config = loopConfig()
        config.train.objective = .nft
        config.train.miniBatches = 1
        config.train.weightDecay = 0
        let (model, samples, advantages) = try RLLoopTests.firstShard(config)
        func moves(_ config: RunConfig) throws -> (largest: Double, mean: Double) {
            let state = try PolicyState(base: model, config: config)
            _ = try TrainStage.run(state: state, reference: nil, samples: samples, advantages: advantages, step: 0, config: config)
            let d = (0..<model.parameters.count).map { Double(abs(state.model.parameters[$0] - model.parameters[$0])) }
            return (d.max() ?? 0, d.reduce(0, +) / Double(d.count))
        }
        let lr = config.train.lr
        let standard = try moves(config)
        #expect(abs(standard.largest - lr) < 0.01 * lr)
        config.train.adamEpsilon = 0.5
        let damped = try moves(config)
        #expect(damped.mean < 0.1 * standard.mean, "mean move \(damped.mean) against \(standard.mean)")
    }

    /// The loop run with DiffusionNFT on deterministic rollouts (CPS at η 0), trained steps drawn at random; validated.
    static func deterministicNFTConfig() throws -> RunConfig {
        var config = loopConfig()
        config.sampler.kind = .cps
        config.sampler.noise = 0
        config.train.objective = .nft
        config.train.timesteps = .random
        try config.validate()
        return config
    }

    /// DiffusionNFT needs no log-probabilities, so deterministic rollouts (CPS at η = 0, the ODE's path) train with
    /// it; GRPO refuses them, and so does NFT when asked for the SDE window, which such a sampler does not have.
    @Test func deterministicRolloutsTrainWithNFTOnly() throws {
        var config = try Self.deterministicNFTConfig()
        let (model, samples, advantages) = try RLLoopTests.firstShard(config)
        let state = try PolicyState(base: model, config: config)
        let step = try TrainStage.run(state: state, reference: nil, samples: samples, advantages: advantages, step: 0, config: config)
        #expect(step.all.terms > 0 && step.all.loss.isFinite)
        #expect((0..<model.parameters.count).contains { model.parameters[$0] != state.model.parameters[$0] })

        config.train.timesteps = .stochastic
        #expect(throws: ConfigError.self) { try config.validate() }
        #expect(throws: GRPOError.self) {
            try TrainStage.run(state: try PolicyState(base: model, config: config), reference: nil, samples: samples,
                               advantages: advantages, step: 0, config: config)
        }
        config.train.timesteps = .random
        config.train.objective = .grpo
        #expect(throws: ConfigError.self) { try config.validate() }
        #expect(throws: GRPOError.self) {
            try TrainStage.run(state: try PolicyState(base: model, config: config), reference: nil, samples: samples,
                               advantages: advantages, step: 0, config: config)
        }
    }

    /// On deterministic rollouts the train stage reads the rollout policy's velocity back from the stored chain
    /// instead of running the rollout weights again. What it reads must be what a forward pass of those weights
    /// gives at each stored state; stochastic steps, re-noised states and guided rollouts hold no such velocity.
    @Test func theChainHoldsTheRolloutVelocityAtDeterministicSteps() throws {
        let config = try Self.deterministicNFTConfig()
        // A fresh model's output layer starts at zero: move every weight so the velocity is far from zero.
        let model = try loopModel()
        for i in 0..<model.parameters.count { model.parameters[i] += Float(0.05 * sin(Double(i) * 0.7)) }
        let plan = try PlanStage.run(step: 0, config: config, trainSet: loopPrompts)
        let samples = try RolloutStage.run(policy: model, shard: plan.shards[0], step: 0, config: config).map(\.trajectory)
        let sampler = try config.samplerConfig()
        let tokens = try samples.map { try Tokenizer.encode($0.prompt) }
        for t in 0..<sampler.grid.steps {
            let transition = sampler.transition(at: t)
            #expect(TrainStage.rolloutVelocityIsInChain(timestep: t, sampler: sampler, config: config))
            let forward = try ModelVelocity.function(model: model, tokens: tokens, guidance: 1)(
                samples.flatMap { $0.states[t] }, transition.sigma)
            let chain = try samples.flatMap { try #require(transition.velocity(from: $0.states[t], to: $0.states[t + 1])) }
            try #require(chain.count == forward.count)
            let worst = zip(forward, chain).map { abs(Double($0) - $1) }.max() ?? .infinity
            let largest = forward.map { abs(Double($0)) }.max() ?? 0
            #expect(largest > 0.1 && worst < 1e-4 * largest, "step \(t): chain and forward differ by \(worst)")
        }

        var noisy = config
        noisy.sampler.noise = 0.7
        let stochastic = try noisy.samplerConfig()
        let (_, noisySamples, _) = try RLLoopTests.firstShard(noisy)
        for t in 0..<stochastic.grid.steps where stochastic.transition(at: t).isStochastic {
            #expect(!TrainStage.rolloutVelocityIsInChain(timestep: t, sampler: stochastic, config: noisy))
            #expect(stochastic.transition(at: t).velocity(from: noisySamples[0].states[t], to: noisySamples[0].states[t + 1]) == nil)
        }
        var renoised = config
        renoised.train.nftStates = .forward
        #expect(!TrainStage.rolloutVelocityIsInChain(timestep: 0, sampler: sampler, config: renoised))
        var guided = config
        guided.sampler.guidance = 3
        #expect(!TrainStage.rolloutVelocityIsInChain(timestep: 0, sampler: sampler, config: guided))
    }
}
