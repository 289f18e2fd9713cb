import Foundation
import NumericCore

/// Winograd F(2×2, 3×3) convolution for 3×3, stride-1, padding-1 layers on NHWC activations (Lavin & Gray,
/// "Fast Algorithms for Convolutional Neural Networks", CVPR 2016, eq. 8): per 2×2 output tile,
/// Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, with d the 4×4 input tile around it. Summed over input channels, the elementwise
/// product becomes 16 matrix products (tiles × C)·(C × C_out) per chunk of tiles: 16 multiplications per tile
/// and channel pair instead of 36, so 2.25× fewer than im2col.
///
/// The input gradient of such a layer is the same kind of convolution of ∂L/∂out with the kernel rotated by 180°
/// and its channel axes swapped. Rotating g reverses the rows of G (G·J = P·G, P swapping rows 0 and 3), so the
/// rotated kernel's transform is U with its 4×4 positions permuted by P and each (C × C_out) matrix transposed.
/// The backward pass stores that permuted, transposed copy (`transformWeights(…, forBackward: true)`) rather than
/// asking BLAS for transposed products, which OpenBLAS runs at two thirds of the speed for these thin shapes.
/// Channels are processed 8 at a time (`SIMD8`), so both channel counts must be multiples of 8.
enum Winograd {
    /// Forward: out = conv(inp) + bias with the layer's transformed weights `u` (`transformWeights`).
    /// `scratch` holds `scratchSize(s)` values.
    @inlinable
    static func forward<T: GemmScalar>(out: UnsafeMutablePointer<T>, inp: UnsafePointer<T>, u: UnsafePointer<T>,
                                       bias: UnsafePointer<T>?, _ s: ConvShape, scratch: UnsafeMutablePointer<T>,
                                       tilesPerChunk: Int? = nil) {
        convolve(out: out, inp: inp, u: u, bias: bias, accumulate: false, batch: s.batch,
                 height: s.height, width: s.width, inChannels: s.inChannels, outChannels: s.outChannels,
                 scratch: scratch + 16 * s.inChannels * s.outChannels, tilesPerChunk: tilesPerChunk)
    }

    /// Forward from raw weights (transformed into the head of `scratch` first).
    @inlinable
    static func forward<T: GemmScalar>(out: UnsafeMutablePointer<T>, inp: UnsafePointer<T>, weight: UnsafePointer<T>,
                                       bias: UnsafePointer<T>?, _ s: ConvShape, scratch: UnsafeMutablePointer<T>,
                                       tilesPerChunk: Int? = nil) {
        transformWeights(u: scratch, weight: weight, inC: s.inChannels, outC: s.outChannels)
        forward(out: out, inp: inp, u: scratch, bias: bias, s, scratch: scratch, tilesPerChunk: tilesPerChunk)
    }

    /// Input gradient: dinp += conv(dout) with the rotated, channel-swapped kernel (the adjoint of `forward`),
    /// from the backward transform `u` (`transformWeights(…, forBackward: true)`); dinp = … when `accumulate` is
    /// false.
    @inlinable
    static func backwardInput<T: GemmScalar>(dinp: UnsafeMutablePointer<T>, dout: UnsafePointer<T>,
                                             u: UnsafePointer<T>, _ s: ConvShape, scratch: UnsafeMutablePointer<T>,
                                             accumulate: Bool = true) {
        convolve(out: dinp, inp: dout, u: u, bias: nil, accumulate: accumulate, batch: s.batch,
                 height: s.height, width: s.width, inChannels: s.outChannels, outChannels: s.inChannels,
                 scratch: scratch + 16 * s.inChannels * s.outChannels)
    }

    /// Input gradient from raw weights (transformed into the head of `scratch` first).
    @inlinable
    static func backwardInput<T: GemmScalar>(dinp: UnsafeMutablePointer<T>, dout: UnsafePointer<T>,
                                             weight: UnsafePointer<T>, _ s: ConvShape, scratch: UnsafeMutablePointer<T>,
                                             accumulate: Bool = true) {
        transformWeights(u: scratch, weight: weight, inC: s.inChannels, outC: s.outChannels, forBackward: true)
        backwardInput(dinp: dinp, dout: dout, u: scratch, s, scratch: scratch, accumulate: accumulate)
    }

    /// The position of the rotated kernel's transform: P swaps rows (and columns) 0 and 3 of the 4×4 tile.
    @inlinable
    static func rotated(_ k: Int) -> Int {
        let perm = (3, 1, 2, 0)
        func p(_ i: Int) -> Int { i == 0 ? perm.0 : i == 1 ? perm.1 : i == 2 ? perm.2 : perm.3 }
        return 4 * p(k / 4) + p(k % 4)
    }

    /// Values of transformed input (or products) per chunk of tiles; tuned on the bench (`flowcps-bench model`).
    nonisolated(unsafe) static var chunkBudget = Int(getenv("FLOWCPS_WINO_BUDGET").map { String(cString: $0) } ?? "") ?? (1 << 16)

    /// Weight and bias gradients: dweight += ∂L/∂g and dbias += Σ dout, by the adjoint of eq. 8 per chunk of
    /// tiles: ∂L/∂M = A·∂L/∂Y·Aᵀ per tile, ∂L/∂U_k += V_kᵀ·∂L/∂M_k (16 products with K = tiles), and finally
    /// ∂L/∂g = Gᵀ·∂L/∂U·G per channel pair. `scratch` holds `scratchSize(s)` values.
    @inlinable
    static func backwardWeights<T: GemmScalar>(dweight: UnsafeMutablePointer<T>, dbias: UnsafeMutablePointer<T>?,
                                               dout: UnsafePointer<T>, inp: UnsafePointer<T>, _ s: ConvShape,
                                               scratch: UnsafeMutablePointer<T>, tilesPerChunk: Int? = nil) {
        let c = s.inChannels, co = s.outChannels, h = s.height, w = s.width
        let th = h / 2, tw = w / 2, total = s.batch * th * tw
        let chunk = min(tilesPerChunk ?? .max, weightGradientTiles(inChannels: c, outChannels: co))
        let du = scratch, v = du + 16 * c * co, dm = v + 16 * chunk * c, zero = dm + 16 * chunk * co
        zero.update(repeating: 0, count: c)
        withUnsafeTemporaryAllocation(of: UnsafePointer<T>.self, capacity: 16) { taps in
            var first = 0
            while first < total {
                let count = min(chunk, total - first)
                for tile in 0..<count {
                    let id = first + tile, tx = id % tw, ty = (id / tw) % th, b = id / (tw * th)
                    gatherTaps(taps.baseAddress!, inp: inp, zero: zero, sample: b, tileY: ty, tileX: tx, height: h,
                               width: w, channels: c)
                    inputTile(v: v + tile * c, stride: count * c, taps: UnsafePointer(taps.baseAddress!), channels: c)
                    let d00 = dout + ((b * h + 2 * ty) * w + 2 * tx) * co
                    outputTileAdjoint(dm: dm + tile * co, stride: count * co, dout: d00, rowStride: w * co, channels: co)
                }
                for k in 0..<16 {
                    T.gemm(.transposed, .none, m: c, n: co, k: count, alpha: 1, a: v + k * count * c, lda: c,
                           b: dm + k * count * co, ldb: co, beta: first == 0 ? 0 : 1, c: du + k * c * co, ldc: co)
                }
                first += count
            }
        }
        weightTransformAdjoint(dweight: dweight, du: du, inC: c, outC: co)
        if let dbias {
            for p in 0..<(s.batch * h * w) {
                let d = dout + p * co
                for j in 0..<co { dbias[j] += d[j] }
            }
        }
    }

    /// dweight[o, ky, kx, i] += (Gᵀ·dU_(i,o)·G)[ky, kx], the adjoint of `transformWeights` (not flipped).
    @inlinable
    static func weightTransformAdjoint<T: GemmScalar>(dweight: UnsafeMutablePointer<T>, du: UnsafePointer<T>, inC ci: Int,
                                                      outC co: Int) {
        let half: T = 0.5, plane = ci * co
        for o in 0..<co {
            for i in 0..<ci {
                let base = du + i * co + o
                func d(_ r: Int, _ q: Int) -> T { base[(r * 4 + q) * plane] }
                // P = Gᵀ D (3 × 4): rows D0 + ½(D1 + D2), ½(D1 − D2), ½(D1 + D2) + D3.
                func p(_ row: Int, _ q: Int) -> T {
                    switch row {
                    case 0: d(0, q) + half * (d(1, q) + d(2, q))
                    case 1: half * (d(1, q) - d(2, q))
                    default: half * (d(1, q) + d(2, q)) + d(3, q)
                    }
                }
                let g = dweight + o * 9 * ci + i
                for row in 0..<3 {
                    let p0 = p(row, 0), p1 = p(row, 1), p2 = p(row, 2), p3 = p(row, 3)
                    g[(row * 3) * ci] += p0 + half * (p1 + p2)
                    g[(row * 3 + 1) * ci] += half * (p1 - p2)
                    g[(row * 3 + 2) * ci] += half * (p1 + p2) + p3
                }
            }
        }
    }

    /// A·∂L/∂Y·Aᵀ for one tile (the adjoint of `outputTile`): 16 values per channel from the 2×2 output gradient.
    @inlinable
    static func outputTileAdjoint<T: GemmScalar>(dm: UnsafeMutablePointer<T>, stride: Int, dout: UnsafePointer<T>,
                                                 rowStride: Int, channels co: Int) {
        var j = 0
        while j < co {
            let y00 = load(dout + j), y01 = load(dout + co + j)
            let y10 = load(dout + rowStride + j), y11 = load(dout + rowStride + co + j)
            // Z = A·dY (4 × 2): rows y0, y0 + y1, y0 − y1, −y1; then each row z ↦ (z0, z0 + z1, z0 − z1, −z1).
            func emit(_ r: Int, _ z0: SIMD8<T>, _ z1: SIMD8<T>) {
                store(z0, dm + (4 * r) * stride + j)
                store(z0 + z1, dm + (4 * r + 1) * stride + j)
                store(z0 - z1, dm + (4 * r + 2) * stride + j)
                store(-z1, dm + (4 * r + 3) * stride + j)
            }
            emit(0, y00, y01)
            emit(1, y00 + y10, y01 + y11)
            emit(2, y00 - y10, y01 - y11)
            emit(3, -y10, -y11)
            j += lanes
        }
    }

    /// Scalars per SIMD lane group; channel counts must be multiples of it.
    static let lanes = 8

    /// Whether the weight gradient of a qualifying layer is faster by Winograd than by im2col: not with fewer than
    /// 64 input channels, where the 16 products (C × C_out, K = tiles) are too thin (`flowcps-bench conv`).
    static func computesWeightGradient(_ s: ConvShape) -> Bool { applies(s) && s.inChannels >= 64 }

    /// Whether `s` is a layer this algorithm computes (forward and input gradient).
    static func applies(_ s: ConvShape) -> Bool {
        s.kernel == 3 && s.stride == 1 && s.padding == 1 && s.height % 2 == 0 && s.width % 2 == 0
            && s.inChannels % lanes == 0 && s.outChannels % lanes == 0
    }

    /// Tiles per chunk: the transformed inputs of a chunk (16·tiles·C values) stay near 1 MB so they are still in
    /// cache when the products read them.
    static func chunkTiles(inChannels c: Int, outChannels co: Int) -> Int { max(16, Winograd.chunkBudget / (16 * max(c, co))) }

    /// Scratch values a layer needs, either direction: its transformed weights (16·c·co) followed by what
    /// `convolve` uses (`convolveScratch`).
    static func scratchSize(_ s: ConvShape) -> Int {
        let c = s.inChannels, co = s.outChannels
        return 16 * c * co + max(convolveScratch(inChannels: c, outChannels: co),
                                 16 * weightGradientTiles(inChannels: c, outChannels: co) * (c + co) + c)
    }

    /// Tiles per chunk of the weight gradient: deeper than `chunkTiles`, because every chunk adds a product with
    /// K = tiles into all 16 (c × co) matrices of ∂L/∂U.
    static func weightGradientTiles(inChannels c: Int, outChannels co: Int) -> Int {
        max(64, (8 * Winograd.chunkBudget) / (16 * max(c, co)))
    }

    /// Values of `convolve`'s scratch: transformed inputs and products of one chunk of tiles, and a zero tap.
    static func convolveScratch(inChannels c: Int, outChannels co: Int) -> Int {
        16 * chunkTiles(inChannels: c, outChannels: co) * (c + co) + max(c, co)
    }

    /// U = G g Gᵀ for every (input, output) channel pair: u[k][i][o] with k = 4ξ + ν, i.e. 16 matrices of
    /// (inChannels × outChannels), row-major. `weight` is (outC, 3, 3, inC). With `forBackward`, the transform of
    /// the rotated, channel-swapped kernel instead: position k holds U[P(k)]ᵀ (outChannels × inChannels).
    @inlinable
    static func transformWeights<T: GemmScalar>(u: UnsafeMutablePointer<T>, weight: UnsafePointer<T>, inC ci: Int,
                                                outC co: Int, forBackward: Bool = false) {
        let half: T = 0.5, plane = ci * co
        // Where U[k][i][o] goes: forward (k, i, o) ↦ k·plane + i·co + o; backward ↦ P(k)·plane + o·ci + i.
        let rowStep = forBackward ? 1 : co, colStep = forBackward ? ci : 1
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 16) { position in
            for k in 0..<16 { position[k] = (forBackward ? rotated(k) : k) * plane }
            @inline(__always) func pair(_ i: Int, _ o: Int) {
                // The 3×3 kernel of this channel pair, read once.
                let p = weight + o * 9 * ci + i
                func g(_ ky: Int, _ kx: Int) -> T { p[(ky * 3 + kx) * ci] }
                let g00 = g(0, 0), g01 = g(0, 1), g02 = g(0, 2), g10 = g(1, 0), g11 = g(1, 1), g12 = g(1, 2)
                let g20 = g(2, 0), g21 = g(2, 1), g22 = g(2, 2)
                let at = u + i * rowStep + o * colStep
                // t = G g (4 × 3), then U = t Gᵀ (4 × 4); G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
                func emit(_ r: Int, _ t0: T, _ t1: T, _ t2: T) {
                    at[position[4 * r]] = t0
                    at[position[4 * r + 1]] = half * (t0 + t1 + t2)
                    at[position[4 * r + 2]] = half * (t0 - t1 + t2)
                    at[position[4 * r + 3]] = t2
                }
                emit(0, g00, g01, g02)
                emit(1, half * (g00 + g10 + g20), half * (g01 + g11 + g21), half * (g02 + g12 + g22))
                emit(2, half * (g00 - g10 + g20), half * (g01 - g11 + g21), half * (g02 - g12 + g22))
                emit(3, g20, g21, g22)
            }
            // The inner loop runs along the matrices' rows, so the writes are contiguous.
            if forBackward {
                for o in 0..<co { for i in 0..<ci { pair(i, o) } }
            } else {
                for i in 0..<ci { for o in 0..<co { pair(i, o) } }
            }
        }
    }

    /// out (batch, H, W, co) = conv(inp (batch, H, W, c)) with transformed weights `u` (16 matrices c × co), plus
    /// `bias` if given; with
    /// `accumulate` the result is added to `out` instead of overwriting it. `scratch` holds `convolveScratch` values.
    /// `tilesPerChunk` (tests) lowers the chunk size.
    @inlinable
    static func convolve<T: GemmScalar>(out: UnsafeMutablePointer<T>, inp: UnsafePointer<T>, u: UnsafePointer<T>,
                                        bias: UnsafePointer<T>?, accumulate: Bool, batch: Int, height h: Int,
                                        width w: Int, inChannels c: Int, outChannels co: Int,
                                        scratch: UnsafeMutablePointer<T>, tilesPerChunk: Int? = nil) {
        precondition(c % lanes == 0 && co % lanes == 0 && h % 2 == 0 && w % 2 == 0, "Winograd shape")
        let th = h / 2, tw = w / 2, total = batch * th * tw
        let chunk = min(tilesPerChunk ?? .max, chunkTiles(inChannels: c, outChannels: co))
        let v = scratch, m = v + 16 * chunk * c, zero = m + 16 * chunk * co
        zero.update(repeating: 0, count: max(c, co))
        withUnsafeTemporaryAllocation(of: UnsafePointer<T>.self, capacity: 16) { taps in
            var first = 0
            while first < total {
                let count = min(chunk, total - first)
                for tile in 0..<count {
                    let id = first + tile, tx = id % tw, ty = (id / tw) % th, b = id / (tw * th)
                    gatherTaps(taps.baseAddress!, inp: inp, zero: zero, sample: b, tileY: ty, tileX: tx, height: h,
                               width: w, channels: c)
                    inputTile(v: v + tile * c, stride: count * c, taps: UnsafePointer(taps.baseAddress!), channels: c)
                }
                for k in 0..<16 {
                    T.gemm(.none, .none, m: count, n: co, k: c, alpha: 1, a: v + k * count * c, lda: c,
                           b: u + k * c * co, ldb: co, beta: 0, c: m + k * count * co, ldc: co)
                }
                for tile in 0..<count {
                    let id = first + tile, tx = id % tw, ty = (id / tw) % th, b = id / (tw * th)
                    let o00 = out + ((b * h + 2 * ty) * w + 2 * tx) * co
                    outputTile(out: o00, rowStride: w * co, m: m + tile * co, stride: count * co, bias: bias,
                               accumulate: accumulate, channels: co)
                }
                first += count
            }
        }
    }

    /// Pointers to the 16 input pixels (4×4, channel vectors) of tile (tileY, tileX), `zero` outside the image.
    @inlinable @inline(__always)
    static func gatherTaps<T: GemmScalar>(_ taps: UnsafeMutablePointer<UnsafePointer<T>>, inp: UnsafePointer<T>,
                                          zero: UnsafeMutablePointer<T>, sample b: Int, tileY ty: Int, tileX tx: Int,
                                          height h: Int, width w: Int, channels c: Int) {
        for r in 0..<4 {
            let iy = 2 * ty - 1 + r
            for q in 0..<4 {
                let ix = 2 * tx - 1 + q
                taps[r * 4 + q] = iy < 0 || iy >= h || ix < 0 || ix >= w
                    ? UnsafePointer(zero) : inp + ((b * h + iy) * w + ix) * c
            }
        }
    }

    @inlinable @inline(__always)
    static func load<T: GemmScalar>(_ p: UnsafePointer<T>) -> SIMD8<T> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self)
    }

    @inlinable @inline(__always)
    static func store<T: GemmScalar>(_ x: SIMD8<T>, _ p: UnsafeMutablePointer<T>) {
        UnsafeMutableRawPointer(p).storeBytes(of: x, as: SIMD8<T>.self)
    }

    /// Bᵀ d B for one tile, 8 channels at a time: v[k·stride + j] for k = 4r + q. Bᵀ = [1 0 −1 0; 0 1 1 0;
    /// 0 −1 1 0; 0 1 0 −1]. Each output row r combines two input rows (f = Bᵀ d along the rows, then f B along
    /// the columns), so only a dozen vectors are live: nothing spills to the stack.
    @inlinable
    static func inputTile<T: GemmScalar>(v: UnsafeMutablePointer<T>, stride: Int, taps: UnsafePointer<UnsafePointer<T>>,
                                         channels c: Int) {
        var j = 0
        while j < c {
            @inline(__always) func d(_ r: Int, _ q: Int) -> SIMD8<T> { load(taps[4 * r + q] + j) }
            @inline(__always) func emit(_ r: Int, _ f0: SIMD8<T>, _ f1: SIMD8<T>, _ f2: SIMD8<T>, _ f3: SIMD8<T>) {
                store(f0 - f2, v + (4 * r) * stride + j)
                store(f1 + f2, v + (4 * r + 1) * stride + j)
                store(f2 - f1, v + (4 * r + 2) * stride + j)
                store(f1 - f3, v + (4 * r + 3) * stride + j)
            }
            emit(0, d(0, 0) - d(2, 0), d(0, 1) - d(2, 1), d(0, 2) - d(2, 2), d(0, 3) - d(2, 3))
            emit(1, d(1, 0) + d(2, 0), d(1, 1) + d(2, 1), d(1, 2) + d(2, 2), d(1, 3) + d(2, 3))
            emit(2, d(2, 0) - d(1, 0), d(2, 1) - d(1, 1), d(2, 2) - d(1, 2), d(2, 3) - d(1, 3))
            emit(3, d(1, 0) - d(3, 0), d(1, 1) - d(3, 1), d(1, 2) - d(3, 2), d(1, 3) - d(3, 3))
            j += lanes
        }
    }

    /// Aᵀ M A for one tile (Aᵀ = [1 1 1 0; 0 1 −1 −1]) plus bias, written (or added) to the 2×2 output pixels.
    @inlinable
    static func outputTile<T: GemmScalar>(out: UnsafeMutablePointer<T>, rowStride: Int, m: UnsafePointer<T>,
                                          stride: Int, bias: UnsafePointer<T>?, accumulate: Bool, channels co: Int) {
        var j = 0
        while j < co {
            // Aᵀ m per column q (two rows out of four), then the same along the rows.
            @inline(__always) func e(_ r: Int, _ q: Int) -> SIMD8<T> { load(m + (4 * r + q) * stride + j) }
            @inline(__always) func top(_ q: Int) -> SIMD8<T> { e(0, q) + e(1, q) + e(2, q) }
            @inline(__always) func bottom(_ q: Int) -> SIMD8<T> { e(1, q) - e(2, q) - e(3, q) }
            let s0 = (top(0), top(1), top(2), top(3)), s1 = (bottom(0), bottom(1), bottom(2), bottom(3))
            let b = bias.map { load($0 + j) } ?? .zero
            let y00 = s0.0 + s0.1 + s0.2 + b, y01 = s0.1 - s0.2 - s0.3 + b
            let y10 = s1.0 + s1.1 + s1.2 + b, y11 = s1.1 - s1.2 - s1.3 + b
            let p00 = out + j, p01 = out + co + j, p10 = out + rowStride + j, p11 = out + rowStride + co + j
            if accumulate {
                store(load(p00) + y00, p00); store(load(p01) + y01, p01)
                store(load(p10) + y10, p10); store(load(p11) + y11, p11)
            } else {
                store(y00, p00); store(y01, p01); store(y10, p10); store(y11, p11)
            }
            j += lanes
        }
    }
}
