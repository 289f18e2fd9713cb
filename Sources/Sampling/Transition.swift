import Foundation

/// One step's Gaussian transition x' ~ N(μ, std²·I) with μ = xCoefficient·x + velocityCoefficient·v.
///
/// Every sampler of docs/algorithms.md §2 has a mean that is affine in the state and the velocity with scalar
/// coefficients, so one type serves them all, and the gradient of anything through μ with respect to v is a
/// scale by `velocityCoefficient`.
public struct Transition: Sendable, Equatable {
    /// σ_i (current level) and σ_{i+1} (next).
    public let sigma: Double
    public let sigmaNext: Double
    /// μ = xCoefficient·x + velocityCoefficient·v.
    public let xCoefficient: Double
    public let velocityCoefficient: Double
    /// Per-element std of the injected noise (σ_t·√Δt for the SDEs, σ'·sin(ηπ/2) for CPS, 0 for the ODE).
    public let std: Double
    /// The `std_dev_t` the original code returns (σ_t without √Δt for the SDEs; equal to `std` for CPS),
    /// used by Flow-GRPO's KL form.
    public let diffusion: Double

    /// Whether the step injects noise (and so has a log-probability).
    public var isStochastic: Bool { std > 0 }

    /// The transition of `kind` from σ_i to σ_{i+1}. `sigmaOne` is the grid's σ_1, which Flow-GRPO uses in place
    /// of σ in 1 − σ at σ = 1.
    public init(kind: SamplerKind, sigma: Double, sigmaNext: Double, sigmaOne: Double) {
        self.sigma = sigma
        self.sigmaNext = sigmaNext
        let dt = sigmaNext - sigma
        switch kind {
        case .ode, .cps(eta: 0):
            // Euler: x' = x + v·dt. CPS with η = 0 is algebraically this step (§2 c), so it takes the same
            // coefficients and gives bit-identical results.
            (xCoefficient, velocityCoefficient, std, diffusion) = (1, dt, 0, 0)
        case let .flowSDE(a):
            // Flow-GRPO (FG sde_step_with_logprob): σ_t = a·√(σ/(1 − σ)), 1 − σ_1 replacing 1 − σ at σ = 1;
            // μ = x·(1 + σ_t²·dt/(2σ)) + v·(1 + σ_t²·(1 − σ)/(2σ))·dt; x' = μ + σ_t·√Δt·z.
            let st = a * (sigma / (1 - (sigma == 1 ? sigmaOne : sigma))).squareRoot()
            (xCoefficient, velocityCoefficient) = Self.sdeCoefficients(st, sigma: sigma, dt: dt)
            (std, diffusion) = (st * (-dt).squareRoot(), st)
        case let .danceSDE(eta):
            // DanceGRPO (DG flux_step): the same family with σ_t ≡ η.
            (xCoefficient, velocityCoefficient) = Self.sdeCoefficients(eta, sigma: sigma, dt: dt)
            (std, diffusion) = (eta * (-dt).squareRoot(), eta)
        case let .cps(eta):
            // CPS (FlowCPS 814c359): s = σ'·sin(ηπ/2); μ = (1 − σ')·x̂0 + σ'·cos(ηπ/2)·x̂1 with x̂0 = x − σ·v and
            // x̂1 = x + (1 − σ)·v; x' = μ + s·z. Deterministic at σ' = 0.
            let c = cos(eta * Double.pi / 2), s = sigmaNext * sin(eta * Double.pi / 2)
            xCoefficient = (1 - sigmaNext) + sigmaNext * c
            velocityCoefficient = -sigma * (1 - sigmaNext) + sigmaNext * c * (1 - sigma)
            (std, diffusion) = (s, s)
        }
    }

    /// The velocity a deterministic step moved `x` to `next` with, v = (x' − xCoefficient·x)/velocityCoefficient per
    /// element in Double: the rollout policy's own velocity at x, read back from its stored chain. Nil for a
    /// stochastic step (x' also holds noise), a step whose mean ignores v, or mismatched sizes. x' is stored as
    /// Float32, so v is exact to about 1e-7·|x'|/|velocityCoefficient|.
    public func velocity(from x: [Float], to next: [Float]) -> [Double]? {
        guard !isStochastic, velocityCoefficient != 0, x.count == next.count else { return nil }
        var v = [Double](repeating: 0, count: x.count)
        for i in x.indices { v[i] = (Double(next[i]) - xCoefficient * Double(x[i])) / velocityCoefficient }
        return v
    }

    /// (x, v) coefficients of μ = x + v·dt + (σ_t²·dt/(2σ))·(x + (1 − σ)·v).
    private static func sdeCoefficients(_ st: Double, sigma: Double, dt: Double) -> (Double, Double) {
        let k = st * st * dt / (2 * sigma)
        return (1 + k, dt + k * (1 - sigma))
    }

    /// μ for state `x` and velocity `v` (computed in Double per element).
    public func mean(x: [Float], v: [Float]) -> [Double] {
        precondition(x.count == v.count, "state has \(x.count) elements, velocity \(v.count)")
        var out = [Double](repeating: 0, count: x.count)
        for i in x.indices { out[i] = xCoefficient * Double(x[i]) + velocityCoefficient * Double(v[i]) }
        return out
    }
}
