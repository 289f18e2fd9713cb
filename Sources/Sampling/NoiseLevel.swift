/// Figure 2 of the CPS paper (docs/algorithms.md §5): the noise level each step leaves when it starts exactly on
/// schedule with a perfect velocity, against the ideal σ_{i+1}.
///
/// Flow-SDE and Dance-SDE (Theorem 1): N_i = √((t' − s²Δt/(2t))² + s²Δt) with s = a·√(t/(1 − t)) (1 − σ_1 at
/// t = 1) or s = η; CPS: N_i = √((σ'cos)² + (σ'sin)²) = σ'; the ODE: N_i = t' + 0 = σ'. Accumulated error
/// = √(Σ_i (N_i² − σ_{i+1}²)).
public struct NoiseLevelReport: Sendable, Equatable {
    public var sampler: SamplerKind
    public var grid: TimeGrid
    /// σ_1 … σ_N.
    public var ideal: [Double]
    /// N_1 … N_N.
    public var perStep: [Double]
    public var accumulatedError: Double

    /// The report for `sampler` on `grid`.
    public init(sampler: SamplerKind, grid: TimeGrid) throws {
        try sampler.validate()
        self.sampler = sampler
        self.grid = grid
        var ideal: [Double] = [], levels: [Double] = []
        for i in 0..<grid.steps {
            let t = grid[i], tn = grid[i + 1], dt = t - tn
            let level: Double
            switch sampler {
            case .ode, .cps:
                level = tn
            case .flowSDE, .danceSDE:
                let tr = Transition(kind: sampler, sigma: t, sigmaNext: tn, sigmaOne: grid[min(1, grid.steps)])
                let s = tr.diffusion
                let c = tn - s * s * dt / (2 * t)
                level = (c * c + s * s * dt).squareRoot()
            }
            ideal.append(tn)
            levels.append(level)
        }
        self.ideal = ideal
        perStep = levels
        accumulatedError = zip(levels, ideal).reduce(0) { $0 + $1.0 * $1.0 - $1.1 * $1.1 }.squareRoot()
    }
}

extension NoiseLevelReport {
    /// Monte Carlo check of `perStep` through the sampler itself: for each step, `samples` values start exactly on
    /// schedule, x = σ_i·ε (data at 0), take one `SamplerStep` with the exact velocity v = x/σ_i and fresh noise,
    /// and the standard deviation of the results is the level the step leaves. The start and the step noise are the
    /// rollout's streams of the key (seed, step i, prompt 0, sample 0).
    public static func measured(sampler: SamplerKind, grid: TimeGrid, samples: Int, seed: UInt64) throws -> [Double] {
        try sampler.validate()
        guard samples >= 2 else { throw SamplingError("the measurement needs at least 2 samples, got \(samples)") }
        return (0..<grid.steps).map { i in
            let t = grid[i], tn = grid[i + 1]
            let key = SampleKey(seed: seed, step: i, prompt: 0, sample: 0)
            let x = Rollout.initialNoise(key, dimension: samples, shared: false).map { Float(t) * $0 }
            let v = x.map { $0 / Float(t) }
            let transition = Transition(kind: sampler, sigma: t, sigmaNext: tn, sigmaOne: grid[min(1, grid.steps)])
            let z = transition.isStochastic ? Rollout.stepNoise(key, timestep: i, dimension: samples) : nil
            let next = SamplerStep.apply(transition, kind: sampler, x: x, v: v, noise: z, form: .original).next
            let mean = next.reduce(0.0) { $0 + Double($1) } / Double(samples)
            return (next.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(samples - 1)).squareRoot()
        }
    }
}
