/// The KL penalty between the policy's and the frozen reference's step means (docs/algorithms.md §3.1), averaged over
/// the D elements of one sample. The two Gaussians share their std, so every form is a scaled ‖μθ − μref‖².
public enum KLForm: String, Sendable, CaseIterable {
    /// Flow-GRPO: mean ‖μθ − μref‖² / (2·σ_t²) with σ_t the returned `std_dev_t` (no √Δt): the exact KL times Δt.
    case flowGRPO = "flow-grpo"
    /// CPS: mean ‖μθ − μref‖², normalisation dropped.
    case cps
    /// The exact per-element KL: mean ‖μθ − μref‖² / (2·std²), std the injected noise std.
    case exact
}

/// KL values and gradients.
public enum KLDivergence {
    /// The scale k in KL = k · mean ‖μθ − μref‖², or a `SamplingError` for a deterministic step in a normalised
    /// form.
    public static func scale(_ form: KLForm, transition: Transition) throws -> Double {
        switch form {
        case .cps:
            return 1
        case .flowGRPO:
            guard transition.diffusion > 0 else { throw SamplingError("flow-grpo KL is undefined for a deterministic step") }
            return 1 / (2 * transition.diffusion * transition.diffusion)
        case .exact:
            guard transition.std > 0 else { throw SamplingError("exact KL is undefined for a deterministic step") }
            return 1 / (2 * transition.std * transition.std)
        }
    }

    /// KL between the two means of one sample.
    public static func value(policyMean: [Double], referenceMean: [Double], transition: Transition,
                             form: KLForm) throws -> Double {
        precondition(policyMean.count == referenceMean.count, "mean lengths differ")
        let k = try scale(form, transition: transition)
        var sq = 0.0
        for i in policyMean.indices {
            let e = policyMean[i] - referenceMean[i]
            sq += e * e
        }
        return k * sq / Double(policyMean.count)
    }

    /// ∂ KL / ∂ μθ_j = 2k(μθ − μref)_j / D; multiply by `transition.velocityCoefficient` for ∂ KL / ∂ vθ_j.
    public static func gradientWrtPolicyMean(policyMean: [Double], referenceMean: [Double], transition: Transition,
                                             form: KLForm) throws -> [Double] {
        let k = try scale(form, transition: transition)
        let d = Double(policyMean.count)
        return policyMean.indices.map { 2 * k * (policyMean[$0] - referenceMean[$0]) / d }
    }
}
