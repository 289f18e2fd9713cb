import NumericCore

/// The rectified-flow training objective (docs/model.md): x_t = (1 − t)·x0 + t·ε, target v = ε − x0,
/// loss = mean over all values of (v_θ(x_t, t) − (ε − x0))², t ~ logit-normal (σ(m + n), n ~ N(0, 1), SD3's
/// eq. 19 with location m, 0 by default; a positive m trains the high-noise steps where layouts are decided more).
public enum FlowMatching {
    /// t = σ(location + n) for a standard normal n.
    public static func logitNormal(_ stream: inout RandomStream, location: Float = 0) -> Float {
        1 / (1 + Float.exp(-(location + stream.gaussian())))
    }

    /// The noised batch and the regression target.
    public static func noised(x0: [Float], noise: [Float], t: [Float], sampleSize: Int) -> (xt: [Float], target: [Float]) {
        var xt = [Float](repeating: 0, count: x0.count), target = xt
        for b in t.indices {
            for j in 0..<sampleSize {
                let i = b * sampleSize + j
                xt[i] = (1 - t[b]) * x0[i] + t[b] * noise[i]
                target[i] = noise[i] - x0[i]
            }
        }
        return (xt, target)
    }

    /// Mean squared error and its gradient with respect to the prediction.
    public static func loss(prediction v: [Float], target: [Float]) -> (loss: Double, gradient: [Float]) {
        var sum = 0.0
        var grad = [Float](repeating: 0, count: v.count)
        let scale = 2 / Float(v.count)
        for i in v.indices {
            let e = v[i] - target[i]
            sum += Double(e) * Double(e)
            grad[i] = scale * e
        }
        return (sum / Double(v.count), grad)
    }
}
