import Foundation
import NumericCore
import Testing
import Sampling

/// The paper's claims on a Gaussian data distribution, whose velocity field is known in closed form.
///
/// Monte Carlo tolerances: with n = 16,000 independent values (500 samples × 32 dims), the sample mean has standard
/// error σ/√n (tolerance 5 SE), and the sample std has relative standard error ≈ 1/√(2n) = 0.56% (tolerance 3%).
struct AnalyticGaussianTests {
    static let samples = 500, dims = 32
    static let n = Double(samples * dims)

    private func keys(seed: UInt64) -> [SampleKey] {
        (0..<Self.samples).map { SampleKey(seed: seed, step: 0, prompt: 0, sample: $0) }
    }

    /// Mean and std of the deviations x − offset over all values of all trajectories' state i.
    private func moments(_ trs: [Trajectory], state i: Int, offset: [Float]) -> (mean: Double, std: Double) {
        var values: [Double] = []
        for tr in trs { for j in 0..<Self.dims { values.append(Double(tr.states[i][j]) - Double(offset[j])) } }
        let m = values.reduce(0, +) / Double(values.count)
        return (m, (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count)).squareRoot())
    }

    private let mu: [Float] = (0..<32).map { Float(sin(Double($0))) * 0.8 }

    @Test(arguments: [0.0, 0.3, 0.7, 1.0])
    func cpsKeepsTheMarginalStdOnScheduleForExactEstimates(eta: Double) throws {
        // Point-mass data: the closed-form field gives exact x̂0 = μ and x̂1 = ε, the setting of the paper's claim.
        let grid = try TimeGrid(.sd3, steps: 10, shift: 3)
        let config = try SamplerConfig(kind: .cps(eta: eta), grid: grid)
        let trs = try Rollout.run(velocity: AnalyticField.gaussian(mean: mu, std: 0), keys: keys(seed: 1),
                                  dimension: Self.dims, config: config)
        for i in 0..<grid.steps {
            let offset = mu.map { Float(1 - grid[i]) * $0 }
            let m = moments(trs, state: i, offset: offset)
            #expect(abs(m.std - grid[i]) < 0.03 * grid[i], "step \(i): std \(m.std), schedule \(grid[i])")
            #expect(abs(m.mean) < 5 * grid[i] / Self.n.squareRoot())
        }
        // The last step is deterministic and lands exactly on the data.
        for tr in trs { for j in 0..<Self.dims { #expect(abs(tr.final[j] - mu[j]) < 1e-5) } }
    }

    @Test(arguments: [0.0, 0.3, 0.7, 1.0])
    func cpsEndsWithTheDataDistributionForExactEstimates(eta: Double) throws {
        // Spread data N(μ, 0.5²) with the per-sample exact field (x̂0 = the sample's own x0): every state stays
        // (1 − σ)x0 + σ·N(0, 1), so the marginal std is √((1 − σ)²s² + σ²) at every step and the end is the data.
        let s = 0.5, grid = try TimeGrid(.sd3, steps: 10, shift: 3)
        var stream = RandomStream(seed: 2, domain: "gaussian-data")
        let x0 = (0..<(Self.samples * Self.dims)).map { mu[$0 % Self.dims] + Float(s) * stream.gaussian() }
        let trs = try Rollout.run(velocity: AnalyticField.oracle(x0: x0), keys: keys(seed: 3), dimension: Self.dims,
                                  config: try SamplerConfig(kind: .cps(eta: eta), grid: grid))
        for i in 0...grid.steps {
            let m = moments(trs, state: i, offset: mu.map { Float(1 - grid[i]) * $0 })
            let expected = ((1 - grid[i]) * (1 - grid[i]) * s * s + grid[i] * grid[i]).squareRoot()
            #expect(abs(m.std - expected) < 0.03 * expected, "step \(i): std \(m.std), expected \(expected)")
            #expect(abs(m.mean) < 5 * expected / Self.n.squareRoot())
        }
    }

    /// Theorem 1's excess variance of one SDE step from an on-schedule state, from docs/algorithms.md §5.
    private func theorem1Std(s: Double, t: Double, tNext: Double) -> Double {
        let dt = t - tNext
        return (tNext * tNext + s * s * dt * dt / t * (1 + s * s / (4 * t))).squareRoot()
    }

    @Test(arguments: [0.3, 0.7, 1.0])
    func flowSDEStepLeavesTheorem1sExcessNoise(a: Double) throws {
        // One step from exactly on-schedule states x = (1 − t)μ + t·ε, with the exact field.
        let grid = try TimeGrid(.linspace, steps: 16, shift: 1)
        let field = AnalyticField.gaussian(mean: mu, std: 0)
        for i in [1, 4, 8, 12, 15] {
            let t = grid[i], tn = grid[i + 1]
            let st = a * (t / (1 - t)).squareRoot()
            let initial = keys(seed: 4).map { key in
                Rollout.initialNoise(key, dimension: Self.dims, shared: false).enumerated()
                    .map { Float((1 - t) * Double(mu[$0.offset]) + t * Double($0.element)) }
            }
            let transition = Transition(kind: .flowSDE(a: a), sigma: t, sigmaNext: tn, sigmaOne: grid[1])
            var values: [Double] = []
            for (b, x) in initial.enumerated() {
                let v = try field(x, t)
                let z = Rollout.stepNoise(keys(seed: 5)[b], timestep: i, dimension: Self.dims)
                let r = SamplerStep.apply(transition, kind: .flowSDE(a: a), x: x, v: v, noise: z, form: .original)
                for j in 0..<Self.dims { values.append(Double(r.next[j]) - (1 - tn) * Double(mu[j])) }
            }
            let m = values.reduce(0, +) / Double(values.count)
            let std = (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count)).squareRoot()
            let predicted = theorem1Std(s: st, t: t, tNext: tn)
            #expect(abs(std - predicted) < 0.03 * predicted, "a \(a) step \(i): \(std) vs \(predicted)")
            #expect(predicted > tn) // strictly more noise than the schedule
        }
    }

    @Test func flowSDELeavesNoiseInTheFinalImageAndCPSDoesNot() throws {
        let grid = try TimeGrid(.sd3, steps: 10, shift: 3)
        let field = AnalyticField.gaussian(mean: mu, std: 0)
        let flow = try Rollout.run(velocity: field, keys: keys(seed: 6), dimension: Self.dims,
                                   config: try SamplerConfig(kind: .flowSDE(a: 0.7), grid: grid))
        let cps = try Rollout.run(velocity: field, keys: keys(seed: 6), dimension: Self.dims,
                                  config: try SamplerConfig(kind: .cps(eta: 0.7), grid: grid))
        // Variance recursion for Flow-SDE from the §2(a) coefficients with v = d/t − μ for deviation d:
        // d' = (a_x + a_v/t)·d + std·z.
        var variance = 1.0
        for i in 0..<grid.steps {
            let t = grid[i], tn = grid[i + 1], dt = tn - t
            let st = 0.7 * (t / (1 - (t == 1 ? grid[1] : t))).squareRoot()
            let ax = 1 + st * st * dt / (2 * t), av = (1 + st * st * (1 - t) / (2 * t)) * dt
            variance = (ax + av / t) * (ax + av / t) * variance + st * st * (-dt)
        }
        let flowStd = moments(flow, state: grid.steps, offset: mu).std
        #expect(abs(flowStd - variance.squareRoot()) < 0.03 * variance.squareRoot(), "\(flowStd) vs \(variance.squareRoot())")
        #expect(flowStd > 0.05) // visible residual noise
        #expect(moments(cps, state: grid.steps, offset: mu).std < 1e-5)
    }

    @Test func withAPosteriorMeanFieldCPSShrinksTheVarianceAsItsRecursionPredicts() throws {
        // An honest limit of the claim: with the closed-form (posterior-mean) field of spread data, x̂0 is a
        // shrunk estimate, and CPS with η > 0 re-noises around it: the final std falls below the data's even with
        // many steps. Each step is linear here, so the final variance follows a deterministic recursion.
        let s = 0.5, grid = try TimeGrid(.linspace, steps: 100, shift: 1)
        for eta in [0.0, 0.7] {
            let trs = try Rollout.run(velocity: AnalyticField.gaussian(mean: mu, std: s), keys: keys(seed: 7),
                                      dimension: Self.dims, config: try SamplerConfig(kind: .cps(eta: eta), grid: grid))
            var variance = 1.0
            for i in 0..<grid.steps {
                let t = grid[i], tn = grid[i + 1]
                let vt = (1 - t) * (1 - t) * s * s + t * t
                let a0 = (1 - t) * s * s / vt, a1 = t / vt // x̂0 − μ = a0·d, x̂1 = a1·d
                let c = cos(eta * Double.pi / 2), sn = sin(eta * Double.pi / 2)
                let k = (1 - tn) * a0 + tn * c * a1
                variance = k * k * variance + tn * tn * sn * sn
            }
            let std = moments(trs, state: grid.steps, offset: mu).std
            #expect(abs(std - variance.squareRoot()) < 0.03 * variance.squareRoot(), "η \(eta): \(std) vs \(variance.squareRoot())")
            if eta == 0 { #expect(abs(std - s) < 0.03 * s) } else { #expect(std < 0.9 * s) }
        }
    }

    /// A deterministic step's velocity is read back from the stored chain (what DiffusionNFT's train stage does in
    /// place of a forward pass): it is the field's value at each state, to Float32 rounding; a stochastic step gives none.
    @Test(arguments: [SamplerKind.ode, .cps(eta: 0), .cps(eta: 0.7), .flowSDE(a: 0.7)])
    func aDeterministicStepsVelocityIsReadBackFromTheChain(kind: SamplerKind) throws {
        let grid = try TimeGrid(.sd3, steps: 10, shift: 3)
        let config = try SamplerConfig(kind: kind, grid: grid)
        let field = AnalyticField.gaussian(mean: mu, std: 0.5)
        let trs = try Rollout.run(velocity: field, keys: Array(keys(seed: 8).prefix(4)), dimension: Self.dims, config: config)
        for i in 0..<grid.steps {
            let transition = config.transition(at: i)
            for tr in trs {
                let readBack = transition.velocity(from: tr.states[i], to: tr.states[i + 1])
                guard !transition.isStochastic else {
                    #expect(readBack == nil)
                    continue
                }
                let v = try field(tr.states[i], transition.sigma)
                let chain = try #require(readBack)
                let worst = zip(v, chain).map { abs(Double($0) - $1) }.max() ?? .infinity
                #expect(worst < 1e-5, "step \(i): read-back velocity off by \(worst)")
            }
        }
    }
}
