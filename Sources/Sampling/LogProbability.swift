import Foundation

/// How a step's log-probability is reduced (docs/algorithms.md §1–2). Both forms average over the D elements of one
/// sample, as every original codebase does.
public enum LogProbForm: String, Sendable, CaseIterable {
    /// What the original code computes for each sampler: the full Gaussian log-density for Flow-SDE and Dance-SDE
    /// (FG, DG); −mean (x' − μ)² for CPS ("remove all constants": no 1/(2s²), no log s, no log √2π) and for the
    /// ODE (upstream FG's `ode_step_with_logprob` pseudo log-prob).
    case original
    /// The exact dimension-averaged Gaussian log-density mean_d[−(x' − μ)²/(2std²)] − log std − log √(2π);
    /// undefined for deterministic steps.
    case exact

    /// Which form is meant for `kind` (exact equals original for the SDEs).
    func usesGaussianDensity(for kind: SamplerKind) -> Bool {
        switch (self, kind) {
        case (.exact, _), (.original, .flowSDE), (.original, .danceSDE): true
        case (.original, .ode), (.original, .cps): false
        }
    }
}

/// Log-probabilities of steps and their gradient through the mean.
public enum LogProbability {
    private static let logSqrtTwoPi = 0.5 * log(2 * Double.pi)

    /// The log-probability of `next` under the transition with mean `mean`; nil where the form is undefined
    /// (the exact Gaussian of a deterministic step).
    public static func of(next: [Float], mean: [Double], transition: Transition, kind: SamplerKind,
                          form: LogProbForm) -> Double? {
        let d = Double(next.count)
        var sq = 0.0
        for i in next.indices {
            let e = Double(next[i]) - mean[i]
            sq += e * e
        }
        if form.usesGaussianDensity(for: kind) {
            guard transition.std > 0 else { return nil }
            let s = transition.std
            return -sq / d / (2 * s * s) - log(s) - logSqrtTwoPi
        }
        return -sq / d
    }

    /// ∂ logp / ∂ μ_j (length D): (x' − μ)_j / (D·std²) for the Gaussian density, 2(x' − μ)_j / D for the
    /// constant-free form. Multiply by `transition.velocityCoefficient` for ∂ logp / ∂ v_j.
    public static func gradientWrtMean(next: [Float], mean: [Double], transition: Transition, kind: SamplerKind,
                                       form: LogProbForm) -> [Double]? {
        let d = Double(next.count)
        let scale: Double
        if form.usesGaussianDensity(for: kind) {
            guard transition.std > 0 else { return nil }
            scale = 1 / (d * transition.std * transition.std)
        } else {
            scale = 2 / d
        }
        return next.indices.map { scale * (Double(next[$0]) - mean[$0]) }
    }
}
