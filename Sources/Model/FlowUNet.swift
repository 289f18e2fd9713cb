import NumericCore

/// The text-conditioned flow U-Net in Float32: the type the rest of FlowCPS uses.
///
/// Inputs are NHWC images in [-1, 1] (`sampleSize` values per sample), noise levels t ∈ [0, 1] and token ids;
/// the output is the predicted velocity v ≈ ε − x0. Parameters, gradients and the layout table are exposed as flat
/// buffers for the optimizer and checkpoints.
public final class FlowUNet {
    let core: UNet<Float>

    /// A freshly initialised model (seeded, so the same seed gives the same weights). `threads` splits every batch
    /// into that many groups of samples run in parallel (results do not depend on it).
    public init(config: ModelConfig = .standard, seed: UInt64 = 0, threads: Int = 1) throws {
        core = try UNet<Float>(config: config, seed: seed)
        core.threads = max(1, threads)
    }

    /// Threads a batch is split over.
    public var threads: Int {
        get { core.threads }
        set { core.threads = max(1, newValue) }
    }

    public var config: ModelConfig { core.config }
    /// The layout table of the flat parameter buffer.
    public var layout: ParameterLayout { core.graph.layout }
    /// Values per image (H·W·C).
    public var sampleSize: Int { core.sampleSize }
    /// All parameters (flat, layout order).
    public var parameters: UnsafeMutableBufferPointer<Float> { core.parameters }
    /// Accumulated gradients (flat, layout order).
    public var gradients: UnsafeMutableBufferPointer<Float> { core.gradients }

    /// Predicted velocities for a batch: x holds batch·sampleSize values (NHWC), t one level per sample, tokens one
    /// id list per sample (empty = the unconditional prompt). Keeps activations for `backward`.
    public func velocity(x: [Float], t: [Float], tokens: [[Int]]) throws -> [Float] {
        guard x.count == t.count * sampleSize else {
            throw ModelError(.badInput, "x has \(x.count) values; \(t.count) samples need \(t.count * sampleSize)")
        }
        var out = [Float](repeating: 0, count: x.count)
        try x.withUnsafeBufferPointer { xp in
            try out.withUnsafeMutableBufferPointer { try core.forward(x: xp.baseAddress!, t: t, tokens: tokens, out: $0.baseAddress!) }
        }
        return out
    }

    /// Accumulates ∂L/∂θ for the last `velocity` call given ∂L/∂v.
    public func backward(dVelocity: [Float]) {
        precondition(dVelocity.count == core.lastBatch * sampleSize, "gradient size does not match the last batch")
        dVelocity.withUnsafeBufferPointer { core.backward(dVelocity: $0.baseAddress!) }
    }

    /// Per-op timing for performance work: when on, every layer call is timed by kind.
    public var profiling: Bool {
        get { core.profiling }
        set { core.profiling = newValue }
    }

    /// Seconds per op kind ("forward conv3x3/1 c64", "backward silu", ...) since profiling was turned on, summed
    /// over shards.
    public var opProfile: [String: Double] { core.profile }

    /// Sets all gradients to zero.
    public func zeroGradients() { core.zeroGradients() }

    /// Copies parameters from `other` (same config).
    public func copyParameters(from other: FlowUNet) {
        precondition(other.config == config, "configs differ")
        parameters.baseAddress!.update(from: other.parameters.baseAddress!, count: parameters.count)
    }
}
