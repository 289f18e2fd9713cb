import NumericCore

/// Geometry of a square-kernel convolution over NHWC activations.
struct ConvShape: Equatable {
    var batch: Int, height: Int, width: Int, inChannels: Int, outChannels: Int
    var kernel: Int, stride: Int, padding: Int

    var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    /// Rows of the output matrix: batch · outHeight · outWidth.
    var rows: Int { batch * outHeight * outWidth }
    /// Columns of the im2col matrix: kernel² · inChannels.
    var patch: Int { kernel * kernel * inChannels }
    /// Whether the convolution is a plain matrix product (1×1, stride 1, no padding): no im2col needed.
    var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }
}

/// 2-D convolution on NHWC activations by im2col + GEMM. Weights (outC, k, k, inC), i.e. rows of length k²·inC
/// ordered (ky, kx, ci), so out = col·Wᵀ + b.
enum Conv2D {
    /// Rows of the im2col matrix built at a time: ~1 MB of patches, so a chunk stays in cache between im2col and
    /// the GEMM that consumes it (instead of streaming the whole k²-times-larger matrix through memory).
    @inlinable
    static func chunkRows(_ s: ConvShape, limit: Int = 1 << 18) -> Int { max(1, limit / max(1, s.patch)) }

    /// col[(row − first), (ky, kx, ci)] = inp[b, oy·s − p + ky, ox·s − p + kx, ci] (0 outside) for output rows
    /// first..<first + count, row = (b·outH + oy)·outW + ox.
    @inlinable
    static func im2col<T: GemmScalar>(col: UnsafeMutablePointer<T>, inp: UnsafePointer<T>, _ s: ConvShape,
                                      rows first: Int, count: Int) {
        let oh = s.outHeight, ow = s.outWidth, c = s.inChannels, k = s.kernel, patch = s.patch
        for r in first..<(first + count) {
            let ox = r % ow, oy = (r / ow) % oh, b = r / (ow * oh)
            let row = col + (r - first) * patch
            for ky in 0..<k {
                let iy = oy * s.stride - s.padding + ky
                for kx in 0..<k {
                    let ix = ox * s.stride - s.padding + kx
                    let dst = row + (ky * k + kx) * c
                    if iy < 0 || iy >= s.height || ix < 0 || ix >= s.width {
                        dst.update(repeating: 0, count: c)
                    } else {
                        dst.update(from: inp + ((b * s.height + iy) * s.width + ix) * c, count: c)
                    }
                }
            }
        }
    }

    /// The adjoint of im2col over the same rows: dinp[b, iy, ix, ci] += Σ dcol over the patches that read it.
    @inlinable
    static func col2im<T: GemmScalar>(dinp: UnsafeMutablePointer<T>, dcol: UnsafePointer<T>, _ s: ConvShape,
                                      rows first: Int, count: Int) {
        let oh = s.outHeight, ow = s.outWidth, c = s.inChannels, k = s.kernel, patch = s.patch
        for r in first..<(first + count) {
            let ox = r % ow, oy = (r / ow) % oh, b = r / (ow * oh)
            let row = dcol + (r - first) * patch
            for ky in 0..<k {
                let iy = oy * s.stride - s.padding + ky
                if iy < 0 || iy >= s.height { continue }
                for kx in 0..<k {
                    let ix = ox * s.stride - s.padding + kx
                    if ix < 0 || ix >= s.width { continue }
                    let src = row + (ky * k + kx) * c
                    let dst = dinp + ((b * s.height + iy) * s.width + ix) * c
                    for j in 0..<c { dst[j] += src[j] }
                }
            }
        }
    }

    /// - Parameters:
    ///   - out: (rows, outC); col: scratch of chunkRows·patch (unused for pointwise convolutions)
    ///   - inp: (batch, H, W, inC); weight: (outC, patch); bias: (outC)
    ///   - winograd: scratch of `Winograd.scratchSize(s)`; when given and the layer qualifies, the forward pass
    ///     uses Winograd F(2×2, 3×3) instead of im2col
    ///   - transformed: the layer's Winograd-transformed weights when already computed (else they are computed
    ///     into `winograd`)
    @inlinable
    static func forward<T: GemmScalar>(out: UnsafeMutablePointer<T>, col: UnsafeMutablePointer<T>, inp: UnsafePointer<T>,
                                       weight: UnsafePointer<T>, bias: UnsafePointer<T>?, _ s: ConvShape,
                                       chunk: Int? = nil, winograd: UnsafeMutablePointer<T>? = nil,
                                       transformed: UnsafePointer<T>? = nil) {
        if let winograd, Winograd.applies(s) {
            if let transformed {
                Winograd.forward(out: out, inp: inp, u: transformed, bias: bias, s, scratch: winograd)
            } else {
                Winograd.forward(out: out, inp: inp, weight: weight, bias: bias, s, scratch: winograd)
            }
            return
        }
        if s.isPointwise {
            Linear.forward(out: out, inp: inp, weight: weight, bias: bias, rows: s.rows, inDim: s.patch, outDim: s.outChannels)
            return
        }
        let step = chunk ?? chunkRows(s)
        var first = 0
        while first < s.rows {
            let count = min(step, s.rows - first)
            im2col(col: col, inp: inp, s, rows: first, count: count)
            Linear.forward(out: out + first * s.outChannels, inp: col, weight: weight, bias: bias, rows: count,
                           inDim: s.patch, outDim: s.outChannels)
            first += count
        }
    }

    /// Whether `backward` can overwrite dinp (given Winograd scratch) instead of accumulating into it.
    static func canOverwriteInput(_ s: ConvShape) -> Bool { s.isPointwise || Winograd.applies(s) }

    /// Accumulates dinp (if given), dweight, dbias. `col` and `dcol` are scratch of chunkRows·patch each; with
    /// `winograd` scratch (see `forward`) a qualifying layer computes dinp by Winograd, from `transformed` (the
    /// layer's backward transform, `Winograd.transformWeights(…, forBackward: true)`) when given, and the weight
    /// gradient by Winograd where `Winograd.computesWeightGradient` (else im2col). `accumulateInput: false`
    /// overwrites dinp instead (only for layers where `canOverwriteInput`).
    @inlinable
    static func backward<T: GemmScalar>(dinp: UnsafeMutablePointer<T>?, dweight: UnsafeMutablePointer<T>,
                                        dbias: UnsafeMutablePointer<T>?, col: UnsafeMutablePointer<T>,
                                        dcol: UnsafeMutablePointer<T>, dout: UnsafePointer<T>, inp: UnsafePointer<T>,
                                        weight: UnsafePointer<T>, _ s: ConvShape, chunk: Int? = nil,
                                        winograd: UnsafeMutablePointer<T>? = nil, transformed: UnsafePointer<T>? = nil,
                                        accumulateInput: Bool = true) {
        if let winograd, Winograd.applies(s) {
            if let dinp, let transformed {
                Winograd.backwardInput(dinp: dinp, dout: dout, u: transformed, s, scratch: winograd,
                                       accumulate: accumulateInput)
            } else if let dinp {
                Winograd.backwardInput(dinp: dinp, dout: dout, weight: weight, s, scratch: winograd,
                                       accumulate: accumulateInput)
            }
            if Winograd.computesWeightGradient(s) {
                Winograd.backwardWeights(dweight: dweight, dbias: dbias, dout: dout, inp: inp, s, scratch: winograd)
            } else {
                im2colWeightGradient(dweight: dweight, dbias: dbias, col: col, dout: dout, inp: inp, weight: weight, s,
                                     chunk: chunk)
            }
            return
        }
        if s.isPointwise {
            Linear.backward(dinp: dinp, dweight: dweight, dbias: dbias, dout: dout, inp: inp, weight: weight,
                            rows: s.rows, inDim: s.patch, outDim: s.outChannels, accumulateInput: accumulateInput)
            return
        }
        precondition(accumulateInput, "the im2col path only accumulates into dinp")
        if let dinp { im2colInputGradient(dinp: dinp, dcol: dcol, dout: dout, weight: weight, s, chunk: chunk) }
        im2colWeightGradient(dweight: dweight, dbias: dbias, col: col, dout: dout, inp: inp, weight: weight, s,
                             chunk: chunk)
    }

    /// dinp += the input gradient by im2col: dcol = dout·W per chunk of rows, scattered back by `col2im`.
    @inlinable
    static func im2colInputGradient<T: GemmScalar>(dinp: UnsafeMutablePointer<T>, dcol: UnsafeMutablePointer<T>,
                                                   dout: UnsafePointer<T>, weight: UnsafePointer<T>, _ s: ConvShape,
                                                   chunk: Int? = nil) {
        let step = chunk ?? chunkRows(s)
        var first = 0
        while first < s.rows {
            let count = min(step, s.rows - first)
            T.gemm(.none, .none, m: count, n: s.patch, k: s.outChannels, alpha: 1, a: dout + first * s.outChannels,
                   lda: s.outChannels, b: weight, ldb: s.patch, beta: 0, c: dcol, ldc: s.patch)
            col2im(dinp: dinp, dcol: dcol, s, rows: first, count: count)
            first += count
        }
    }

    /// dweight += doutᵀ·col and dbias += Σ dout by im2col, chunk by chunk.
    @inlinable
    static func im2colWeightGradient<T: GemmScalar>(dweight: UnsafeMutablePointer<T>, dbias: UnsafeMutablePointer<T>?,
                                                    col: UnsafeMutablePointer<T>, dout: UnsafePointer<T>,
                                                    inp: UnsafePointer<T>, weight: UnsafePointer<T>, _ s: ConvShape,
                                                    chunk: Int? = nil) {
        let step = chunk ?? chunkRows(s)
        var first = 0
        while first < s.rows {
            let count = min(step, s.rows - first)
            im2col(col: col, inp: inp, s, rows: first, count: count)
            Linear.backward(dinp: nil, dweight: dweight, dbias: dbias, dout: dout + first * s.outChannels, inp: col,
                            weight: weight, rows: count, inDim: s.patch, outDim: s.outChannels)
            first += count
        }
    }
}
