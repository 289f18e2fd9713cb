import Foundation

/// The clipped policy objective per sample and trained timestep (docs/algorithms.md §3.1, Flow-GRPO
/// `train_sd3.py`; PPO, Schulman et al. 2017, eq. 7):
/// r = exp(logp_θ − logp_old), A_c = clamp(A, −adv_clip, adv_clip),
/// L = max(−A_c·r, −A_c·clip(r, 1 − ε, 1 + ε)).
/// The KL penalty to the reference model is added by the caller (it acts on the step mean, not on logp).

/// Options of the clipped objective.
public struct ClipOptions: Sendable, Equatable, Codable {
    /// ε of the ratio clip (Flow-GRPO: 1e-4).
    public var clipRange: Double
    /// Advantages are clamped to ±this before use (Flow-GRPO `adv_clip_max`: 5).
    public var advantageClip: Double

    public init(clipRange: Double = 1e-4, advantageClip: Double = 5) {
        self.clipRange = clipRange
        self.advantageClip = advantageClip
    }

    /// Throws unless both are positive and finite.
    public func validate() throws {
        guard clipRange > 0, clipRange.isFinite else { throw GRPOError("clip_range must be positive, got \(clipRange)") }
        guard advantageClip > 0, advantageClip.isFinite else {
            throw GRPOError("advantage_clip must be positive, got \(advantageClip)")
        }
    }
}

/// One (sample, timestep) term of the objective and its derivative.
public struct PolicyTerm: Sendable, Equatable {
    /// L for this term.
    public var loss: Double
    /// ∂L/∂logp_θ: −A_c·r where the unclipped branch is active, 0 where the clipped (constant) one is.
    public var gradientWrtLogProb: Double
    /// r = exp(logp_θ − logp_old).
    public var ratio: Double
    /// Whether |r − 1| > ε (Flow-GRPO's `clipfrac`).
    public var isClipped: Bool
    /// ½(logp_θ − logp_old)², Flow-GRPO's `approx_kl` term.
    public var approxKL: Double
}

/// Evaluates the clipped objective.
public enum PPOClip {
    /// The term for one sample at one trained timestep.
    public static func term(logProb: Double, oldLogProb: Double, advantage: Double, options: ClipOptions) -> PolicyTerm {
        let a = min(max(advantage, -options.advantageClip), options.advantageClip)
        let diff = logProb - oldLogProb
        let ratio = exp(diff)
        let eps = options.clipRange
        let unclipped = -a * ratio
        let clipped = -a * min(max(ratio, 1 - eps), 1 + eps)
        // max(u, c): the gradient follows the larger branch; they are equal (same gradient) inside the clip range.
        let loss = max(unclipped, clipped)
        let gradient = unclipped >= clipped ? -a * ratio : 0
        return PolicyTerm(loss: loss, gradientWrtLogProb: gradient, ratio: ratio, isClipped: abs(ratio - 1) > eps,
                          approxKL: 0.5 * diff * diff)
    }
}
