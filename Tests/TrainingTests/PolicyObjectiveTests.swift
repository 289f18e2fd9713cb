import GRPO
import NumericCore
import Sampling
import Testing
@testable import Model
@testable import Training

private func randoms(_ n: Int, seed: UInt64, scale: Double = 1) -> [Double] {
    var s = RandomStream(seed: seed, domain: "policy-objective-test")
    return (0..<n).map { _ in Double(s.gaussian()) * scale }
}

/// A stochastic step drawn with velocity `v0`: x_{i+1} = μ(v0) + std·z, with its log-probability.
private func drawnStep(x: [Float], v0: [Double], transition: Transition, kind: SamplerKind, form: LogProbForm,
                       advantage: Double, seed: UInt64) -> PolicyStep {
    let z = randoms(x.count, seed: seed)
    let mean = x.indices.map { transition.xCoefficient * Double(x[$0]) + transition.velocityCoefficient * v0[$0] }
    let next = x.indices.map { Float(mean[$0] + transition.std * z[$0]) }
    let logp = LogProbability.of(next: next, mean: mean, transition: transition, kind: kind, form: form)!
    return PolicyStep(state: x, next: next, oldLogProb: logp, advantage: advantage)
}

@Suite struct PolicyObjectiveTests {
    let kinds: [SamplerKind] = [.cps(eta: 0.7), .flowSDE(a: 0.7), .danceSDE(eta: 0.3)]

    @Test func onPolicyTheRatioIsOneAndTheLossIsMinusTheAdvantage() throws {
        for kind in kinds {
            let transition = Transition(kind: kind, sigma: 0.8, sigmaNext: 0.7, sigmaOne: 0.95)
            let x = randoms(16, seed: 1).map(Float.init), v = randoms(16, seed: 2)
            let step = drawnStep(x: x, v0: v, transition: transition, kind: kind, form: .original, advantage: 0.6, seed: 3)
            let term = try PolicyObjective.evaluate(velocity: v, reference: v, step: step, transition: transition,
                                                    kind: kind, options: ObjectiveOptions(beta: 0.04))
            #expect(term.policy.ratio == 1 && term.kl == 0 && term.loss == -0.6, "\(kind)")
        }
    }

    /// ∂L/∂v against central differences, with the ratio inside and outside the clip range and the KL on.
    @Test(arguments: [(1e-4, 0.0), (0.2, 0.04), (0.2, 0.0), (1e-4, 0.5)])
    func gradientWrtVelocityMatchesFiniteDifferences(clipRange: Double, beta: Double) throws {
        for (k, kind) in kinds.enumerated() {
            for form in [LogProbForm.original, .exact] {
                let transition = Transition(kind: kind, sigma: 0.6, sigmaNext: 0.45, sigmaOne: 0.95)
                let d = 12
                let x = randoms(d, seed: 10).map(Float.init), v0 = randoms(d, seed: 11)
                let step = drawnStep(x: x, v0: v0, transition: transition, kind: kind, form: form, advantage: -1.3,
                                     seed: UInt64(12 + k))
                let v = zip(v0, randoms(d, seed: 13, scale: 0.05)).map(+), reference = randoms(d, seed: 14)
                let options = ObjectiveOptions(clip: ClipOptions(clipRange: clipRange), beta: beta, klForm: .flowGRPO,
                                               logProbForm: form)
                let analytic = try PolicyObjective.evaluate(velocity: v, reference: reference, step: step,
                                                            transition: transition, kind: kind, options: options).gradient
                for j in 0..<d {
                    let h = 1e-6
                    var plus = v, minus = v
                    plus[j] += h
                    minus[j] -= h
                    let lp = try PolicyObjective.evaluate(velocity: plus, reference: reference, step: step,
                                                          transition: transition, kind: kind, options: options).loss
                    let lm = try PolicyObjective.evaluate(velocity: minus, reference: reference, step: step,
                                                          transition: transition, kind: kind, options: options).loss
                    let numeric = (lp - lm) / (2 * h)
                    #expect(abs(numeric - analytic[j]) <= 1e-6 * max(1, abs(numeric)),
                            "\(kind) \(form) ε \(clipRange) β \(beta) j \(j): \(numeric) vs \(analytic[j])")
                }
            }
        }
    }

    /// The whole chain on the tiny model in Double: parameters → velocity → step mean → clipped objective + KL.
    @Test func gradientThroughTheModelMatchesFiniteDifferences() throws {
        let config = ModelConfig.tiny
        let policy = try UNet<Double>(config: config, seed: 1), reference = try UNet<Double>(config: config, seed: 1)
        let theta = randoms(policy.parameters.count, seed: 20, scale: 0.3)
        let shift = randoms(policy.parameters.count, seed: 21, scale: 0.01)
        for i in theta.indices {
            policy.parameters[i] = theta[i]
            reference.parameters[i] = theta[i] + shift[i]
        }
        let kind = SamplerKind.cps(eta: 0.7)
        let transition = Transition(kind: kind, sigma: 0.7, sigmaNext: 0.55, sigmaOne: 0.95)
        let n = 2, size = policy.sampleSize
        let t: [Double] = [0.7, 0.7], tokens = [[1, 4, 2], [3]]
        let x = randoms(n * size, seed: 22)
        var v = [Double](repeating: 0, count: n * size), vRef = v
        try reference.forward(x: x, t: t, tokens: tokens, out: &vRef)
        try policy.forward(x: x, t: t, tokens: tokens, out: &v)
        // The rollout drew x_{i+1} with the policy itself (on-policy), so the ratio starts at 1.
        let steps = (0..<n).map { b in
            drawnStep(x: x[(b * size)..<((b + 1) * size)].map(Float.init), v0: Array(v[(b * size)..<((b + 1) * size)]),
                      transition: transition, kind: kind, form: .original, advantage: b == 0 ? 0.9 : -0.4,
                      seed: UInt64(30 + b))
        }
        let options = ObjectiveOptions(clip: ClipOptions(clipRange: 0.2), beta: 0.3, klForm: .cps)
        func loss() throws -> (Double, [Double]) {
            try policy.forward(x: x, t: t, tokens: tokens, out: &v)
            var total = 0.0, gradient: [Double] = []
            for b in 0..<n {
                let range = (b * size)..<((b + 1) * size)
                let term = try PolicyObjective.evaluate(velocity: Array(v[range]), reference: Array(vRef[range]),
                                                        step: steps[b], transition: transition, kind: kind,
                                                        options: options)
                total += term.loss
                gradient += term.gradient
            }
            return (total, gradient)
        }
        let (_, dv) = try loss()
        policy.zeroGradients()
        policy.backward(dVelocity: dv)
        let analytic = Array(policy.gradients)
        // Every 37th parameter: all tensors are covered without the full 36-second sweep.
        var checked = 0
        for i in stride(from: 0, to: theta.count, by: 37) {
            let keep = policy.parameters[i], h = 1e-6
            policy.parameters[i] = keep + h
            let lp = try loss().0
            policy.parameters[i] = keep - h
            let lm = try loss().0
            policy.parameters[i] = keep
            let numeric = (lp - lm) / (2 * h)
            #expect(abs(numeric - analytic[i]) <= 1e-4 * max(1e-3, abs(numeric)), "parameter \(i): \(numeric) vs \(analytic[i])")
            checked += 1
        }
        #expect(checked > 100 && analytic.contains { $0 != 0 })
    }
}
