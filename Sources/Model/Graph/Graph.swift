import NumericCore

/// A buffer of activations: `perSample` values for every sample of the batch.
struct BufferSpec {
    let name: String
    let perSample: Int
    /// Whether backward needs a gradient buffer for it (statistics and probabilities do not).
    let differentiable: Bool
}

/// The model as data: buffers, ops in execution order, and the parameter layout with initialisers. Built once
/// from a config by `UNetBuilder`; executed by `Workspace`.
struct Graph {
    var buffers: [BufferSpec] = []
    var ops: [Op] = []
    var layout = ParameterLayout()
    var inits: [(offset: Int, count: Int, kind: ParameterInit)] = []
    /// Buffer holding the network input x (NHWC image) and the output v.
    var input = 0
    var output = 0
    var textLength = 0

    mutating func buffer(_ name: String, _ perSample: Int, differentiable: Bool = true) -> Int {
        buffers.append(BufferSpec(name: name, perSample: perSample, differentiable: differentiable))
        return buffers.count - 1
    }

    mutating func parameter(_ name: String, _ shape: [Int], _ initializer: ParameterInit) -> Int {
        let offset = layout.add(name, shape)
        inits.append((offset, shape.reduce(1, *), initializer))
        return offset
    }

    /// Where each Winograd layer's transformed weights (16·C·C_out values) live in one shared buffer, by op index
    /// (nil for other ops), and the buffer's size.
    var winogradLayout: (offsets: [Int?], total: Int) {
        var offsets: [Int?] = [], total = 0
        for op in ops {
            if case let .conv(_, _, _, _, s) = op, Winograd.applies(s) {
                offsets.append(total)
                total += 16 * s.inChannels * s.outChannels
            } else {
                offsets.append(nil)
            }
        }
        return (offsets, total)
    }

    /// Largest im2col chunk, Winograd scratch and per-sample norm-activation gradient (values, independent of the
    /// batch) and attention score matrix (per head and sample).
    var scratchSizes: (col: Int, winograd: Int, norm: Int, scores: Int) {
        var col = 0, winograd = 0, norm = 0, scores = 0
        for op in ops {
            switch op {
            case let .conv(_, _, _, _, s):
                if !s.isPointwise { col = max(col, Conv2D.chunkRows(s) * s.patch) }
                if Winograd.applies(s) { winograd = max(winograd, Winograd.scratchSize(s)) }
            case let .attention(_, _, _, _, _, nq, nk, _, _, _): scores = max(scores, nq * nk)
            case let .normAct(_, _, _, _, _, _, hw, c, _): norm = max(norm, hw * c)
            default: break
            }
        }
        return (col, winograd, norm, scores)
    }
}
