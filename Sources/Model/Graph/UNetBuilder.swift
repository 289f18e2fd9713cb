/// Builds the flow U-Net's graph from a config (docs/model.md): a text transformer over the prompt's tokens,
/// a conditioning vector from the timestep and the pooled text, and a U-Net of FiLM-conditioned residual blocks with
/// cross-attention to the tokens at the configured levels and self- plus cross-attention in the middle.
/// Convolutions closing a residual branch and the output convolution start at zero (as SD's U-Net does), so the
/// untrained network is close to the identity on its skip paths.
struct UNetBuilder {
    let c: ModelConfig
    var g = Graph()
    var text = 0
    var condition = 0

    static func build(_ config: ModelConfig) -> Graph {
        var b = UNetBuilder(c: config)
        b.buildAll()
        return b.g
    }

    private init(c: ModelConfig) { self.c = c }

    private mutating func buildAll() {
        let s = c.imageSize
        g.textLength = c.maxTokens
        g.input = g.buffer("x", s * s * c.imageChannels, differentiable: false) // no gradient w.r.t. the input image
        buildText()
        buildCondition()
        var h = conv("unet.conv_in", g.input, res: s, cin: c.imageChannels, cout: c.channels[0], kernel: 3)
        if c.imagePositionEmbedding {
            let table = g.parameter("unet.position_embedding", [s * s, c.channels[0]], .normal(0.02))
            let out = g.buffer("unet.position_embedding", s * s * c.channels[0])
            g.ops.append(.addTable(inp: h, out: out, table: table))
            h = out
        }
        var skips: [(buffer: Int, channels: Int)] = []
        var ch = c.channels[0]
        for level in c.channels.indices {
            let res = s >> level
            for blk in 0..<c.blocksPerLevel {
                let name = "unet.down.\(level).\(blk)"
                h = resBlock(name, h, res: res, cin: ch, cout: c.channels[level])
                ch = c.channels[level]
                if c.crossAttentionLevels.contains(level) { h = attention(name + ".cross", h, res: res, channels: ch, cross: true) }
                skips.append((h, ch))
            }
            if level < c.channels.count - 1 {
                h = conv("unet.down.\(level).downsample", h, res: res, cin: ch, cout: ch, kernel: 3, stride: 2)
            }
        }
        let low = s >> (c.channels.count - 1)
        h = resBlock("unet.mid.0", h, res: low, cin: ch, cout: ch)
        if c.middleAttention {
            h = attention("unet.mid.self", h, res: low, channels: ch, cross: false)
            h = attention("unet.mid.cross", h, res: low, channels: ch, cross: true)
        }
        h = resBlock("unet.mid.1", h, res: low, cin: ch, cout: ch)
        for level in c.channels.indices.reversed() {
            let res = s >> level
            for blk in 0..<c.blocksPerLevel {
                let name = "unet.up.\(level).\(blk)"
                let skip = skips.removeLast()
                let cat = g.buffer(name + ".concat", res * res * (ch + skip.channels))
                g.ops.append(.concat(a: h, b: skip.buffer, out: cat, rows: res * res, ca: ch, cb: skip.channels))
                h = resBlock(name, cat, res: res, cin: ch + skip.channels, cout: c.channels[level])
                ch = c.channels[level]
                if c.crossAttentionLevels.contains(level) { h = attention(name + ".cross", h, res: res, channels: ch, cross: true) }
            }
            if level > 0 {
                let up = g.buffer("unet.up.\(level).upsample", 4 * res * res * ch)
                g.ops.append(.upsample(inp: h, out: up, height: res, width: res, channels: ch))
                h = up
            }
        }
        h = normAct("unet.norm_out", h, hw: s * s, channels: ch, mod: nil)
        g.output = conv("unet.conv_out", h, res: s, cin: ch, cout: c.imageChannels, kernel: 3, zero: true)
    }

    // MARK: text and conditioning

    private mutating func buildText() {
        let l = c.maxTokens, d = c.textWidth
        let tok = g.parameter("text.token_embedding", [c.vocabularySize, d], .normal(0.02))
        let pos = g.parameter("text.position_embedding", [l, d], .normal(0.02))
        var h = g.buffer("text.embed", l * d)
        g.ops.append(.tokenEmbed(out: h, tokenTable: tok, positionTable: pos, length: l, dim: d))
        for layer in 0..<c.textLayers {
            let name = "text.layer.\(layer)"
            let n1 = layerNorm(name + ".norm1", h, rows: l, channels: d)
            let q = linear(name + ".attn.q", n1, rows: l, inDim: d, outDim: d)
            let k = linear(name + ".attn.k", n1, rows: l, inDim: d, outDim: d)
            let v = linear(name + ".attn.v", n1, rows: l, inDim: d, outDim: d)
            let a = attend(name + ".attn", q: q, k: k, v: v, nq: l, nk: l, channels: d, heads: c.textHeads, masked: true)
            let o = linear(name + ".attn.out", a, rows: l, inDim: d, outDim: d, bias: true)
            h = add(name + ".res1", h, o)
            let n2 = layerNorm(name + ".norm2", h, rows: l, channels: d)
            let f1 = linear(name + ".mlp.fc1", n2, rows: l, inDim: d, outDim: 4 * d, bias: true)
            let act = unary(name + ".mlp.gelu", f1, silu: false)
            let f2 = linear(name + ".mlp.fc2", act, rows: l, inDim: 4 * d, outDim: d, bias: true)
            h = add(name + ".res2", h, f2)
        }
        text = layerNorm("text.norm_out", h, rows: l, channels: d)
    }

    private mutating func buildCondition() {
        let temb = g.buffer("cond.time_features", c.timeFeatures)
        g.ops.append(.timestepEmbed(out: temb, dim: c.timeFeatures))
        let t1 = linear("cond.time.fc1", temb, rows: 1, inDim: c.timeFeatures, outDim: c.conditionWidth, bias: true)
        let t2 = linear("cond.time.fc2", unary("cond.time.silu", t1, silu: true), rows: 1, inDim: c.conditionWidth,
                        outDim: c.conditionWidth, bias: true)
        let pooled = g.buffer("cond.text_pooled", c.textWidth)
        g.ops.append(.maskedMean(inp: text, out: pooled, length: c.maxTokens, dim: c.textWidth))
        let p = linear("cond.text.fc", pooled, rows: 1, inDim: c.textWidth, outDim: c.conditionWidth, bias: true)
        condition = unary("cond.silu", add("cond.sum", t2, p), silu: true)
    }

    // MARK: blocks

    private mutating func resBlock(_ name: String, _ x: Int, res: Int, cin: Int, cout: Int) -> Int {
        let hw = res * res
        let a1 = normAct(name + ".norm1", x, hw: hw, channels: cin, mod: nil)
        let c1 = conv(name + ".conv1", a1, res: res, cin: cin, cout: cout, kernel: 3)
        let mod = linear(name + ".film", condition, rows: 1, inDim: c.conditionWidth, outDim: 2 * cout, bias: true)
        let a2 = normAct(name + ".norm2", c1, hw: hw, channels: cout, mod: mod)
        let c2 = conv(name + ".conv2", a2, res: res, cin: cout, cout: cout, kernel: 3, zero: true)
        let skip = cin == cout ? x : conv(name + ".skip", x, res: res, cin: cin, cout: cout, kernel: 1)
        return add(name + ".out", skip, c2)
    }

    private mutating func attention(_ name: String, _ x: Int, res: Int, channels ch: Int, cross: Bool) -> Int {
        let hw = res * res
        let n = layerNorm(name + ".norm", x, rows: hw, channels: ch)
        let q = linear(name + ".q", n, rows: hw, inDim: ch, outDim: ch)
        let (k, v, nk): (Int, Int, Int) = cross
            ? (linear(name + ".k", text, rows: c.maxTokens, inDim: c.textWidth, outDim: ch),
               linear(name + ".v", text, rows: c.maxTokens, inDim: c.textWidth, outDim: ch), c.maxTokens)
            : (linear(name + ".k", n, rows: hw, inDim: ch, outDim: ch), linear(name + ".v", n, rows: hw, inDim: ch, outDim: ch), hw)
        let a = attend(name, q: q, k: k, v: v, nq: hw, nk: nk, channels: ch, heads: c.attentionHeads, masked: cross)
        let o = linear(name + ".out", a, rows: hw, inDim: ch, outDim: ch, bias: true, zero: true)
        return add(name + ".res", x, o)
    }

    // MARK: ops

    private mutating func attend(_ name: String, q: Int, k: Int, v: Int, nq: Int, nk: Int, channels: Int, heads: Int,
                                 masked: Bool) -> Int {
        let out = g.buffer(name + ".mix", nq * channels)
        let probs = g.buffer(name + ".probs", heads * nq * nk, differentiable: false)
        g.ops.append(.attention(q: q, k: k, v: v, out: out, probs: probs, nq: nq, nk: nk, channels: channels,
                                heads: heads, masked: masked))
        return out
    }

    private mutating func conv(_ name: String, _ x: Int, res: Int, cin: Int, cout: Int, kernel: Int, stride: Int = 1,
                               zero: Bool = false) -> Int {
        let fanIn = Double(kernel * kernel * cin)
        let bound = 1 / fanIn.squareRoot()
        let w = g.parameter(name + ".weight", [cout, kernel, kernel, cin], zero ? .constant(0) : .uniform(bound))
        let b = g.parameter(name + ".bias", [cout], zero ? .constant(0) : .uniform(bound))
        let shape = ConvShape(batch: 1, height: res, width: res, inChannels: cin, outChannels: cout, kernel: kernel,
                              stride: stride, padding: kernel / 2)
        let out = g.buffer(name, shape.outHeight * shape.outWidth * cout)
        g.ops.append(.conv(inp: x, out: out, weight: w, bias: b, shape: shape))
        return out
    }

    private mutating func linear(_ name: String, _ x: Int, rows: Int, inDim: Int, outDim: Int, bias: Bool = false,
                                 zero: Bool = false) -> Int {
        let bound = 1 / Double(inDim).squareRoot()
        let w = g.parameter(name + ".weight", [outDim, inDim], zero ? .constant(0) : .uniform(bound))
        let b = bias ? g.parameter(name + ".bias", [outDim], zero ? .constant(0) : .uniform(bound)) : nil
        let out = g.buffer(name, rows * outDim)
        g.ops.append(.linear(inp: x, out: out, weight: w, bias: b, rows: rows, inDim: inDim, outDim: outDim))
        return out
    }

    /// GroupNorm (parameters `name.weight`, `name.bias`), then FiLM from `mod` if given, then SiLU: one op.
    private mutating func normAct(_ name: String, _ x: Int, hw: Int, channels: Int, mod: Int?) -> Int {
        let w = g.parameter(name + ".weight", [channels], .constant(1))
        let b = g.parameter(name + ".bias", [channels], .constant(0))
        let out = g.buffer(name + ".act", hw * channels)
        let stats = g.buffer(name + ".stats", 2 * c.groups, differentiable: false)
        g.ops.append(.normAct(inp: x, out: out, weight: w, bias: b, stats: stats, mod: mod, hw: hw, channels: channels,
                              groups: c.groups))
        return out
    }

    private mutating func layerNorm(_ name: String, _ x: Int, rows: Int, channels: Int) -> Int {
        let w = g.parameter(name + ".weight", [channels], .constant(1))
        let b = g.parameter(name + ".bias", [channels], .constant(0))
        let out = g.buffer(name, rows * channels)
        let stats = g.buffer(name + ".stats", 2 * rows, differentiable: false)
        g.ops.append(.layerNorm(inp: x, out: out, weight: w, bias: b, stats: stats, rows: rows, channels: channels))
        return out
    }

    private mutating func unary(_ name: String, _ x: Int, silu: Bool) -> Int {
        let out = g.buffer(name, g.buffers[x].perSample)
        g.ops.append(silu ? .silu(inp: x, out: out) : .gelu(inp: x, out: out))
        return out
    }

    private mutating func add(_ name: String, _ a: Int, _ b: Int) -> Int {
        let out = g.buffer(name, g.buffers[a].perSample)
        g.ops.append(.add(a: a, b: b, out: out))
        return out
    }
}
