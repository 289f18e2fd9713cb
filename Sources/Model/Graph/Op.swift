import NumericCore

/// How a parameter tensor starts.
enum ParameterInit: Equatable {
    /// Uniform in ±bound (PyTorch's default for linear and conv layers: bound = 1/√fan_in).
    case uniform(Double)
    case normal(Double)
    case constant(Double)
}

/// One step of the model's computation. Buffers are referred to by index; each has a fixed number of values per
/// sample. Parameter tensors are referred to by their offset in the flat buffer. Every op has a forward and a
/// backward rule (the backward accumulates into input and parameter gradients).
enum Op {
    case conv(inp: Int, out: Int, weight: Int, bias: Int, shape: ConvShape)
    /// out = SiLU(GroupNorm(inp)·(1 + scale) + shift), with (scale | shift) = mod (2·channels per sample) when
    /// mod is given, else SiLU(GroupNorm(inp)).
    case normAct(inp: Int, out: Int, weight: Int, bias: Int, stats: Int, mod: Int?, hw: Int, channels: Int,
                 groups: Int)
    case layerNorm(inp: Int, out: Int, weight: Int, bias: Int, stats: Int, rows: Int, channels: Int)
    case linear(inp: Int, out: Int, weight: Int, bias: Int?, rows: Int, inDim: Int, outDim: Int)
    case silu(inp: Int, out: Int)
    case gelu(inp: Int, out: Int)
    case add(a: Int, b: Int, out: Int)
    case concat(a: Int, b: Int, out: Int, rows: Int, ca: Int, cb: Int)
    case upsample(inp: Int, out: Int, height: Int, width: Int, channels: Int)
    case attention(q: Int, k: Int, v: Int, out: Int, probs: Int, nq: Int, nk: Int, channels: Int, heads: Int,
                   masked: Bool)
    case tokenEmbed(out: Int, tokenTable: Int, positionTable: Int, length: Int, dim: Int)
    case timestepEmbed(out: Int, dim: Int)
    /// out[b] = mean of inp[b, l, :] over the prompt's real tokens.
    case maskedMean(inp: Int, out: Int, length: Int, dim: Int)
    /// out[b] = inp[b] + table: one learned table (the buffer's per-sample size) shared by every sample.
    case addTable(inp: Int, out: Int, table: Int)
}

extension Op {
    /// Buffers the op reads whose gradients its backward rule accumulates into.
    var inputs: [Int] {
        switch self {
        case let .normAct(i, _, _, _, _, m, _, _, _): m.map { [i, $0] } ?? [i]
        case let .conv(i, _, _, _, _), let .layerNorm(i, _, _, _, _, _, _),
             let .linear(i, _, _, _, _, _, _), let .silu(i, _), let .gelu(i, _), let .upsample(i, _, _, _, _),
             let .maskedMean(i, _, _, _), let .addTable(i, _, _):
            [i]
        case let .add(a, b, _), let .concat(a, b, _, _, _, _): [a, b]
        case let .attention(q, k, v, _, _, _, _, _, _, _): [q, k, v]
        case .tokenEmbed, .timestepEmbed: []
        }
    }

    /// Buffers the op writes (its backward rule reads their gradients).
    var outputs: [Int] {
        switch self {
        case let .conv(_, o, _, _, _), let .linear(_, o, _, _, _, _, _), let .silu(_, o), let .gelu(_, o),
             let .add(_, _, o), let .concat(_, _, o, _, _, _), let .upsample(_, o, _, _, _),
             let .tokenEmbed(o, _, _, _, _), let .timestepEmbed(o, _), let .maskedMean(_, o, _, _),
             let .addTable(_, o, _):
            [o]
        case let .normAct(_, o, _, _, st, _, _, _, _), let .layerNorm(_, o, _, _, st, _, _): [o, st]
        case let .attention(_, _, _, o, p, _, _, _, _, _): [o, p]
        }
    }

    /// Whether the backward rule can write `buffer`'s gradient instead of adding to it (used for the first
    /// contribution in the reverse sweep, which saves zeroing the buffer).
    func canOverwriteGradient(of buffer: Int) -> Bool {
        switch self {
        case let .conv(i, _, _, _, s): buffer == i && Conv2D.canOverwriteInput(s)
        case let .linear(i, _, _, _, _, _, _), let .normAct(i, _, _, _, _, _, _, _, _), let .addTable(i, _, _):
            buffer == i
        case let .add(a, b, _), let .concat(a, b, _, _, _, _): a != b && (buffer == a || buffer == b)
        default: false
        }
    }

    /// The op's kind, for profiles.
    var kind: String {
        switch self {
        case let .conv(_, _, _, _, s): s.isPointwise ? "conv1x1" : "conv\(s.kernel)x\(s.kernel)/\(s.stride) c\(s.inChannels)"
        case .normAct: "normAct"
        case .layerNorm: "layerNorm"
        case let .linear(_, _, _, _, rows, i, o): "linear \(rows)x\(i)→\(o)"
        case .silu: "silu"
        case .gelu: "gelu"
        case .add: "add"
        case .concat: "concat"
        case .upsample: "upsample"
        case .attention: "attention"
        case .tokenEmbed: "tokenEmbed"
        case .timestepEmbed: "timestepEmbed"
        case .maskedMean: "maskedMean"
        case .addTable: "addTable"
        }
    }
}
