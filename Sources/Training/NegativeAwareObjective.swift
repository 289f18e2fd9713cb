/// The DiffusionNFT objective (Zheng et al. 2025, arXiv 2509.16117, §3: the implicit positive and negative policies
/// v⁺ = (1 − β)·v_old + β·v_θ and v⁻ = (1 + β)·v_old − β·v_θ, trained by flow matching on the rollout's own clean
/// image with weights r and 1 − r). It needs no log-probability: any sampler's rollouts train it, and it moves the
/// velocity field itself, which the deterministic ODE of evaluation then follows.
///
/// Per sample at a stored state x_t of noise level σ (x_t on the rollout's path, x0 its final image):
///   x̂0⁺ = x_t − σ·v⁺,  x̂0⁻ = x_t − σ·v⁻,
///   L = C·(r·‖x̂0⁺ − x0‖²/w⁺ + (1 − r)·‖x̂0⁻ − x0‖²/w⁻)/(β·D),
/// with r = clamp(A/C/2 + 1/2, 0, 1) the advantage A mapped to [0, 1] by the advantage clip C, D the values per
/// image, and w± = max(mean|x̂0± − x0|, 1e-5) held constant (the adaptive weight of the reference implementation:
/// each term is a relative error). At v_θ = v_old both predictions coincide and
/// ∂L/∂v_θ = 2C·σ·(1 − 2r)·(x̂0 − x0)/(w·D): samples above their group's mean pull the velocity toward their
/// own image, samples below push it away, and the quadratic in v_θ bounds how far one step can move it.
public enum NegativeAwareObjective {
    /// One term's value and its gradient with respect to v_θ.
    public struct Term: Sendable {
        public var loss: Double
        /// r: how much of the term pulls toward the image (1) rather than away (0).
        public var optimality: Double
        public var gradient: [Double]
    }

    /// The term of velocity `v` (D values) against the rollout policy's `old` velocity at state `state` (noise level
    /// `sigma`) of a sample whose final image is `image`, with advantage `advantage`; `beta` > 0 and
    /// `advantageClip` C > 0.
    public static func evaluate(velocity v: [Double], old: [Double], state: [Float], image: [Float], sigma: Double,
                                advantage: Double, beta: Double, advantageClip: Double) throws -> Term {
        let d = state.count
        guard v.count == d, old.count == d, image.count == d else {
            throw ConfigError(field: "train.objective", "velocity \(v.count), old velocity \(old.count), state \(d) and image \(image.count) values differ")
        }
        guard beta > 0, advantageClip > 0, sigma >= 0 else {
            throw ConfigError(field: "train.nft_beta", "β (\(beta)) and the advantage clip (\(advantageClip)) must be > 0")
        }
        let r = min(max(advantage / advantageClip / 2 + 0.5, 0), 1)
        var positive = [Double](repeating: 0, count: d), negative = positive
        var absPositive = 0.0, absNegative = 0.0
        for i in 0..<d {
            let x = Double(state[i]), x0 = Double(image[i])
            let vPlus = (1 - beta) * old[i] + beta * v[i]
            let vMinus = (1 + beta) * old[i] - beta * v[i]
            positive[i] = x - sigma * vPlus - x0
            negative[i] = x - sigma * vMinus - x0
            absPositive += abs(positive[i])
            absNegative += abs(negative[i])
        }
        let wPlus = max(absPositive / Double(d), 1e-5), wMinus = max(absNegative / Double(d), 1e-5)
        let scale = advantageClip / (beta * Double(d))
        var loss = 0.0
        var gradient = [Double](repeating: 0, count: d)
        for i in 0..<d {
            loss += r * positive[i] * positive[i] / wPlus + (1 - r) * negative[i] * negative[i] / wMinus
            // ∂x̂0⁺/∂v_θ = −σβ, ∂x̂0⁻/∂v_θ = +σβ.
            gradient[i] = scale * (r * 2 * positive[i] / wPlus * (-sigma * beta) + (1 - r) * 2 * negative[i] / wMinus * (sigma * beta))
        }
        return Term(loss: scale * loss, optimality: r, gradient: gradient)
    }
}
