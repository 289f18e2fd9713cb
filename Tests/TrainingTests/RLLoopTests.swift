import Foundation
import GRPO
import Model
import Rewards
import Sampling
import Scenes
import Testing
@testable import Training

private func tempPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("flowcps-rl-\(getpid())-\(name)").path
}

@Suite struct RLLoopTests {
    @Test func planVisitsEveryTrainPromptOncePerEpochInWholeGroupShards() throws {
        let config = loopConfig()
        let plans = try (0..<5).map { try PlanStage.run(step: $0, config: config, trainSet: loopPrompts) }
        let lines = plans.flatMap { $0.prompts.map(\.line) }
        for epoch in 0..<3 {
            #expect(lines[(5 * epoch)..<(5 * epoch + 5)].sorted() == [0, 1, 2, 3, 4], "epoch \(epoch): \(lines)")
        }
        #expect(lines[0..<5] != lines[5..<10] || lines[5..<10] != lines[10..<15], "every epoch in the same order")
        for p in plans {
            #expect(p.prompts.map(\.index) == [0, 1, 2])
            #expect(p.shards.map { $0.prompts.map(\.index) } == [[0, 1], [2]])
            #expect(p.prompts.allSatisfy { loopPrompts[$0.line].prompt == $0.prompt })
        }
        #expect(try PlanStage.run(step: 3, config: config, trainSet: loopPrompts) == plans[3])
    }

    /// Flow-GRPO's debugging rule: before any update the training pass recomputes exactly the rollout's log-probs,
    /// even though it batches the samples differently (mini-batches, per timestep, both CFG branches).
    @Test(arguments: RolloutSamplerName.allCases, [1.0, 3.0])
    func onPolicyEveryRatioIsOne(kind: RolloutSamplerName, guidance: Double) throws {
        var config = loopConfig()
        config.sampler.kind = kind
        config.sampler.noise = kind == .danceSDE ? 0.3 : 0.7
        config.sampler.guidance = guidance
        config.train.cfg = guidance != 1
        config.train.beta = 0.04
        config.train.miniBatches = 1
        let run = try RLRun(config: config, base: try loopModel(), trainSet: loopPrompts, evalSet: [])
        let report = try run.step()
        let m = report.train.firstMiniBatch
        #expect(m.terms == report.train.trainedSamples * 3, "4 steps × 0.99 = 3 trained timesteps per sample")
        #expect(m.terms > 0)
        #expect(abs(m.ratioMin - 1) <= 1e-6 && abs(m.ratioMax - 1) <= 1e-6, "\(kind) w=\(guidance): ratio \(m.ratioMin)…\(m.ratioMax)")
        #expect(m.kl == 0 && m.clipFraction == 0)
        #expect(report.train.gradNorms.count == 1 && report.train.gradNorms[0] > 0)
    }

    @Test func sameConfigAndSeedGiveTheSameCheckpointAndAResumedRunMatches() throws {
        let config = loopConfig()
        func run(steps: Int, resumeFrom: String? = nil) throws -> (RLRun, [StepReport]) {
            let r = try RLRun(config: config, base: try loopModel(), trainSet: loopPrompts, evalSet: [])
            if let resumeFrom { try r.state.restore(from: resumeFrom, config: config) }
            var reports: [StepReport] = []
            while r.state.completedSteps < steps { reports.append(try r.step()) }
            return (r, reports)
        }
        let (a, reportsA) = try run(steps: 3)
        let (b, _) = try run(steps: 3)
        let (pa, pb, pc, mid) = (tempPath("a"), tempPath("b"), tempPath("c"), tempPath("mid"))
        defer { for p in [pa, pb, pc, mid] { try? FileManager.default.removeItem(atPath: p) } }
        try a.state.save(to: pa, config: config)
        try b.state.save(to: pb, config: config)
        let bytesA = try Data(contentsOf: URL(fileURLWithPath: pa))
        #expect(bytesA == (try Data(contentsOf: URL(fileURLWithPath: pb))))

        let (first, _) = try run(steps: 1)
        try first.state.save(to: mid, config: config)
        let (resumed, _) = try run(steps: 3, resumeFrom: mid)
        try resumed.state.save(to: pc, config: config)
        #expect(bytesA == (try Data(contentsOf: URL(fileURLWithPath: pc))), "resumed run differs")

        let base = try loopModel()
        let moved = (0..<base.parameters.count).contains { base.parameters[$0] != a.state.model.parameters[$0] }
        #expect(moved, "three RL steps left the weights unchanged")
        #expect(a.state.adam.step == 6)
        for r in reportsA {
            #expect(r.scores.count == 12 && r.train.trainedSamples + r.train.skippedSamples == 12)
            #expect(r.train.all.loss.isFinite && r.train.gradNorms.allSatisfy(\.isFinite))
        }

        var other = config
        other.train.lr = 2e-3
        let stranger = try RLRun(config: other, base: base, trainSet: loopPrompts, evalSet: [])
        #expect(throws: ModelError.self) { try stranger.state.restore(from: pa, config: other) }
    }

    @Test func samplesWithZeroAdvantageAreNotTrained() throws {
        let config = loopConfig()
        let model = try loopModel()
        let state = try PolicyState(base: model, config: config)
        let plan = try PlanStage.run(step: 0, config: config, trainSet: loopPrompts)
        let samples = try RolloutStage.run(policy: state.model, shard: plan.shards[0], step: 0, config: config).map(\.trajectory)
        let none = try TrainStage.run(state: state, reference: nil, samples: samples,
                                      advantages: [Double](repeating: 0, count: samples.count), step: 0, config: config)
        #expect(none.trainedSamples == 0 && none.skippedSamples == samples.count && state.adam.step == 0)
        #expect((0..<model.parameters.count).allSatisfy { model.parameters[$0] == state.model.parameters[$0] })

        var advantages = [Double](repeating: 0, count: samples.count)
        advantages[1] = 1
        advantages[5] = -1
        let two = try TrainStage.run(state: state, reference: nil, samples: samples, advantages: advantages, step: 0,
                                     config: config)
        #expect(two.trainedSamples == 2 && two.skippedSamples == samples.count - 2)
        #expect(two.all.terms == 2 * 3 && two.gradNorms.count == 2)
        // Per timestep: each trained timestep's terms, adding up to all terms; one cosine for two mini-batches.
        #expect(two.perTimestep.values.map(\.terms).reduce(0, +) == two.all.terms)
        #expect(two.gradCosines.count == 1 && (-1...1).contains(two.gradCosines[0]))
        let names = RunMetrics.train(two).map(\.name)
        #expect(names.contains("train.grad_cosine"))
        for t in two.perTimestep.keys { #expect(names.contains("train.approx_kl.t\(t)") && names.contains("train.clip_fraction.t\(t)")) }
    }

    /// The loop model, step 0's first rollout shard, and fixed nonzero and zero advantages for it.
    static func firstShard(_ config: RunConfig) throws -> (FlowUNet, [RolloutTrajectory], [Double]) {
        let model = try loopModel()
        let plan = try PlanStage.run(step: 0, config: config, trainSet: loopPrompts)
        let samples = try RolloutStage.run(policy: model, shard: plan.shards[0], step: 0, config: config).map(\.trajectory)
        return (model, samples, samples.indices.map { Double($0 % 3) - 1 })
    }

    @Test func laterPassesRetrainTheSameSamplesOffPolicy() throws {
        var config = loopConfig()
        let (model, samples, advantages) = try Self.firstShard(config)
        let one = try TrainStage.run(state: try PolicyState(base: model, config: config), reference: nil, samples: samples,
                                     advantages: advantages, step: 0, config: config)
        config.train.passes = 3
        let state = try PolicyState(base: model, config: config)
        let three = try TrainStage.run(state: state, reference: nil, samples: samples, advantages: advantages, step: 0,
                                       config: config)
        // The first pass is the one-pass step, update for update; then two more passes over the same samples.
        #expect(three.gradNorms.count == 3 * one.gradNorms.count && state.adam.step == three.gradNorms.count)
        #expect(Array(three.gradNorms.prefix(one.gradNorms.count)) == one.gradNorms)
        #expect(three.firstMiniBatch == one.firstMiniBatch && three.all.terms == 3 * one.all.terms)
        #expect(three.gradCosines.count == three.gradNorms.count - 1)
        // Later passes see ratios away from 1: the policy has moved since the rollouts.
        #expect(three.all.ratioMax - three.all.ratioMin > one.all.ratioMax - one.all.ratioMin)
    }

    @Test func theKLToTheBaseIsMeasuredAtBetaZeroWithoutChangingTheUpdate() throws {
        var config = loopConfig()
        let (model, samples, advantages) = try Self.firstShard(config)
        let plain = try PolicyState(base: model, config: config)
        let unmeasured = try TrainStage.run(state: plain, reference: nil, samples: samples, advantages: advantages,
                                            step: 0, config: config)
        config.train.logBaseKL = true
        #expect(config.needsReference)
        let measured = try PolicyState(base: model, config: config)
        let withKL = try TrainStage.run(state: measured, reference: model, samples: samples, advantages: advantages,
                                        step: 0, config: config)
        #expect(unmeasured.all.kl == 0 && withKL.all.kl > 0, "the second mini-batch sees a policy that has moved")
        #expect(withKL.firstMiniBatch.kl == 0, "before the first update the policy is the base")
        #expect(withKL.gradNorms == unmeasured.gradNorms && withKL.all.loss == unmeasured.all.loss)
        #expect((0..<model.parameters.count).allSatisfy { plain.model.parameters[$0] == measured.model.parameters[$0] })
    }

    @Test func liveEvaluationsReadThePolicyAndEMAEvaluationsTheAverage() throws {
        var config = loopConfig()
        config.ema.enabled = true
        config.ema.decay = 0.5
        let run = try RLRun(config: config, base: try loopModel(), trainSet: loopPrompts, evalSet: loopPrompts)
        _ = try run.step()
        let ema = try run.evaluatedModel(), average = try run.state.evaluationModel()
        #expect((0..<ema.parameters.count).allSatisfy { ema.parameters[$0] == average.parameters[$0] })
        #expect((0..<ema.parameters.count).contains { ema.parameters[$0] != run.state.model.parameters[$0] })
        config.eval.weights = .live
        #expect(!config.evaluatesEMA)
        let live = try RLRun(config: config, base: try loopModel(), trainSet: loopPrompts, evalSet: loopPrompts)
        _ = try live.step()
        #expect(try live.evaluatedModel() === live.state.model)
    }

    @Test func gradientCosinesAreWorkedOutByHand() {
        #expect(TrainStage.cosine([1, 0, 0], [0, 2, 0]) == 0)
        #expect(abs(TrainStage.cosine([1, 1], [2, 2]) - 1) < 1e-15)
        #expect(abs(TrainStage.cosine([3, 4], [-4, -3]) + 24.0 / 25) < 1e-15)
        #expect(TrainStage.cosine([0, 0], [1, 2]) == 0)
    }

    /// With CFG in training the guided velocity v_u + w·(v_c − v_u) carries the gradient: the combined pass must
    /// equal w·(conditional pass) + (1 − w)·(unconditional pass), each run on its own.
    @Test func guidedTrainingSplitsTheGradientOverBothBranches() throws {
        var config = loopConfig()
        config.sampler.guidance = 2.5
        config.train.cfg = true
        let model = try loopModel()
        let plan = try PlanStage.run(step: 0, config: config, trainSet: loopPrompts)
        let samples = try RolloutStage.run(policy: model, shard: plan.shards[0], step: 0, config: config)
        let members = Array(samples[0..<3]).map(\.trajectory)
        let advantages = [0.7, -1.2, 0.4]
        let sampler = try config.samplerConfig()
        var metrics = PolicyMetrics(), timestepMetrics = PolicyMetrics()
        model.zeroGradients()
        try TrainStage.accumulate(timestep: 1, members: members, advantages: advantages, scale: 1, model: model,
                                  reference: nil, sampler: sampler, config: config, metrics: &metrics,
                                  timestepMetrics: &timestepMetrics)
        #expect(metrics == timestepMetrics)
        let combined = Array(model.gradients)

        // The objective's gradient g with respect to the guided velocity, then each branch on its own.
        let tokens = try members.map { try Tokenizer.encode($0.prompt) }
        let x = members.flatMap { $0.states[1] }
        let sigma = sampler.transition(at: 1).sigma
        let t = [Float](repeating: Float(sigma), count: 3)
        let vc = try model.velocity(x: x, t: t, tokens: tokens)
        let vu = try model.velocity(x: x, t: t, tokens: [[], [], []])
        let guided = Guidance.combine(conditional: vc, unconditional: vu, scale: 2.5)
        let d = model.sampleSize
        var g = [Float]()
        for (b, s) in members.enumerated() {
            let term = try PolicyObjective.evaluate(
                velocity: Array(guided[(b * d)..<((b + 1) * d)]), reference: nil,
                step: PolicyStep(state: s.states[1], next: s.states[2], oldLogProb: s.logProbs[1]!, advantage: advantages[b]),
                transition: sampler.transition(at: 1), kind: sampler.kind(at: 1), options: config.objectiveOptions)
            g += term.gradient.map(Float.init)
        }
        model.zeroGradients()
        _ = try model.velocity(x: x, t: t, tokens: tokens)
        model.backward(dVelocity: g.map { 2.5 * $0 })
        _ = try model.velocity(x: x, t: t, tokens: [[], [], []])
        model.backward(dVelocity: g.map { -1.5 * $0 })
        let separate = Array(model.gradients)
        let scale = separate.map(abs).max()!
        #expect(scale > 0)
        let worst = zip(combined, separate).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-4 * scale, "largest difference \(worst) of gradients up to \(scale)")
    }

    @Test func aRunRejectsPromptsTheTokenizerCannotRead() throws {
        let bad = [PromptEntry(category: .singleObject, prompt: "a hexagon")]
        #expect(throws: (any Error).self) {
            try RLRun(config: loopConfig(), base: try loopModel(), trainSet: bad, evalSet: [])
        }
    }
}

/// Audit M6: a rollout's bytes depend only on its keys, not on the batch it was computed in (other prompts in the
/// same shard) nor on the threads the model splits the batch over. Real models, real BLAS: the loop model (where
/// OpenBLAS's small-matrix paths run) and the shipped architecture at its real sizes (random weights).
@Suite struct RolloutBatchInvarianceTests {
    @Test(arguments: [false, true], [1, 3])
    func aSampleIsTheSameWhateverItsShardAndThreads(standardSize: Bool, threads: Int) throws {
        var config = loopConfig()
        config.model.threads = threads
        var standard = ModelConfig.standard
        standard.maxTokens = ModelConfig.standard.maxTokens
        let base = standardSize ? try FlowUNet(config: standard, seed: 3, threads: 1) : try loopModel()
        let model = try FlowUNet(config: base.config, seed: 0, threads: threads)
        model.copyParameters(from: base)
        let plan = try PlanStage.run(step: 0, config: config, trainSet: loopPrompts)
        let all = RolloutShard(index: 0, prompts: plan.prompts)  // 3 prompts × 4 samples: batch 12
        let alone = plan.prompts.map { RolloutShard(index: 0, prompts: [$0]) }  // batch 4 each
        let together = try RolloutStage.run(policy: model, shard: all, step: 0, config: config)
        let separate = try alone.flatMap { try RolloutStage.run(policy: model, shard: $0, step: 0, config: config) }
        #expect(together.count == 12 && separate.count == 12)
        for (a, b) in zip(together, separate) {
            #expect(a.key == b.key)
            #expect(a.image == b.image, "\(a.key)")
            #expect(a.logProbs == b.logProbs, "\(a.key)")
            #expect(a.states.last == b.states.last, "\(a.key)")
        }
        // And the same as one thread computed it.
        var single = config
        single.model.threads = 1
        let one = try RolloutStage.run(policy: base, shard: all, step: 0, config: single)
        #expect(zip(one, together).allSatisfy { $0.image == $1.image && $0.logProbs == $1.logProbs })
    }
}

/// The classic sanity check of an RL loop on images: with compressibility as the only reward, ten GRPO steps make
/// the policy's own images more compressible, and with the reward negated less. Measured on fixed prompts and seeds
/// with the deterministic sampler before and after (paired); a loop that ignored the reward, or followed its
/// negative, fails one side. The small random loop model moves little in ten steps, hence the small margins.
@Suite struct CompressibilityRiseTests {
    static func meanCompressibility(_ model: FlowUNet, config: RunConfig) throws -> Double {
        let prompts = (0..<24).map { loopPrompts[$0 % loopPrompts.count].prompt }
        let keys = (0..<24).map { SampleKey(seed: 99, step: 0, prompt: $0, sample: 0) }
        let images = try Generation.images(model: model, prompts: prompts, keys: keys, config: config.evalSamplerConfig(),
                                           guidance: 1)
        return try images.indices.map { i in
            try CompressibilityReward().score(try RewardInput(image: images[i], prompt: prompts[i])).value
        }.reduce(0, +) / Double(images.count)
    }

    @Test func compressibilityRisesWithinTenSteps() throws {
        var config = loopConfig()
        config.steps = 10
        config.ema.enabled = false
        // The loop model is small and random: it needs a larger step than the shipped recipe's to move in ten.
        config.train.lr = 3e-3
        config.train.clipRange = 0.2
        config.group.size = 8
        config.group.promptsPerStep = 4
        config.train.miniBatches = 1
        let base = try loopModel()
        let before = try Self.meanCompressibility(base, config: config)
        let run = try RLRun(config: config, base: try loopModel(), trainSet: loopPrompts, evalSet: loopPrompts)
        var rewards: [Double] = []
        for _ in 0..<10 { rewards.append(try run.step().advantages.batch.rewardMean) }
        let after = try Self.meanCompressibility(try run.state.evaluationModel(), config: config)
        // Deterministic (seeded, one thread): measured 0.1191 → 0.1206 (+0.0015), and 0.1177 with the reward negated.
        #expect(after > before + 0.001, "compressibility \(before) → \(after); rollout rewards \(rewards)")
        config.rewards = [RewardWeight(name: "compressibility", weight: -1)]
        let reverse = try RLRun(config: config, base: try loopModel(), trainSet: loopPrompts, evalSet: loopPrompts)
        for _ in 0..<10 { _ = try reverse.step() }
        let down = try Self.meanCompressibility(try reverse.state.evaluationModel(), config: config)
        #expect(down < before - 0.001, "with the reward negated: \(before) → \(down); as the reward: → \(after)")
    }
}
