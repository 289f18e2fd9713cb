import NumericCore
import Testing
@testable import Model

/// Winograd F(2×2, 3×3) against the direct convolution and finite differences (Double), and against the im2col
/// path in Float (the precision the model runs in).
struct WinogradTests {
    /// A direct 3×3, stride-1, padding-1 convolution written out (NHWC, weight (co, 3, 3, ci)).
    func direct(_ x: [Double], _ w: [Double], _ b: [Double], _ s: ConvShape) -> [Double] {
        var out = [Double](repeating: 0, count: s.rows * s.outChannels)
        for n in 0..<s.batch { for oy in 0..<s.height { for ox in 0..<s.width { for co in 0..<s.outChannels {
            var acc = b[co]
            for ky in 0..<3 { for kx in 0..<3 {
                let iy = oy - 1 + ky, ix = ox - 1 + kx
                guard iy >= 0, iy < s.height, ix >= 0, ix < s.width else { continue }
                for ci in 0..<s.inChannels {
                    acc += w[((co * 3 + ky) * 3 + kx) * s.inChannels + ci] * x[((n * s.height + iy) * s.width + ix) * s.inChannels + ci]
                }
            } }
            out[((n * s.height + oy) * s.width + ox) * s.outChannels + co] = acc
        } } } }
        return out
    }

    @Test(arguments: [(8, 16, 4, 6), (16, 8, 2, 2), (24, 8, 6, 4), (8, 8, 6, 8)])
    func matchesDirectConvolutionAndFiniteDifferences(inC: Int, outC: Int, height: Int, width: Int) {
        let s = ConvShape(batch: 2, height: height, width: width, inChannels: inC, outChannels: outC, kernel: 3, stride: 1,
                          padding: 1)
        #expect(Winograd.applies(s))
        let x = randoms(s.batch * height * width * inC, seed: 21), w = randoms(outC * s.patch, seed: 22, scale: 0.3)
        let b = randoms(outC, seed: 23), dout = randoms(s.rows * outC, seed: 24)
        var scratch = [Double](repeating: .nan, count: Winograd.scratchSize(s))
        func fwd(_ x: [Double], _ w: [Double], _ b: [Double]) -> [Double] {
            var out = [Double](repeating: .nan, count: s.rows * outC)
            Winograd.forward(out: &out, inp: x, weight: w, bias: b, s, scratch: &scratch)
            return out
        }
        let reference = direct(x, w, b, s), out = fwd(x, w, b)
        #expect(zip(out, reference).allSatisfy { abs($0 - $1) < 1e-10 })
        // The input gradient accumulates (starts from 1s) and matches finite differences.
        var dx = [Double](repeating: 1, count: x.count)
        Winograd.backwardInput(dinp: &dx, dout: dout, weight: w, s, scratch: &scratch)
        let numeric = numericGradient(x) { dot(fwd($0, w, b), dout) }
        #expect(relativeError(dx.map { $0 - 1 }, numeric) < 1e-6)
        // Weight and bias gradients accumulate too (start from 2s).
        var dw = [Double](repeating: 2, count: w.count), db = [Double](repeating: 2, count: outC)
        Winograd.backwardWeights(dweight: &dw, dbias: &db, dout: dout, inp: x, s, scratch: &scratch)
        #expect(relativeError(dw.map { $0 - 2 }, numericGradient(w) { dot(fwd(x, $0, b), dout) }) < 1e-6)
        #expect(relativeError(db.map { $0 - 2 }, numericGradient(b) { dot(fwd(x, w, $0), dout) }) < 1e-6)
    }

    @Test func convLayerUsesItAndAgreesWithIm2colInFloat() {
        let s = ConvShape(batch: 3, height: 8, width: 8, inChannels: 32, outChannels: 16, kernel: 3, stride: 1, padding: 1)
        var rng = RandomStream(seed: 5, domain: "winograd-test")
        let x = rng.gaussians(s.batch * 64 * 32), w = rng.gaussians(16 * s.patch).map { $0 * 0.06 }, b = rng.gaussians(16)
        let dout = rng.gaussians(s.rows * 16)
        var col = [Float](repeating: 0, count: Conv2D.chunkRows(s) * s.patch), dcol = col
        var wino = [Float](repeating: 0, count: Winograd.scratchSize(s))
        var plain = [Float](repeating: 0, count: s.rows * 16), fast = plain
        Conv2D.forward(out: &plain, col: &col, inp: x, weight: w, bias: b, s)
        Conv2D.forward(out: &fast, col: &col, inp: x, weight: w, bias: b, s, winograd: &wino)
        let scale = plain.map(abs).max()!
        #expect(zip(plain, fast).allSatisfy { abs($0 - $1) < 1e-5 * scale })
        var dx1 = [Float](repeating: 0, count: x.count), dx2 = dx1
        var dw1 = [Float](repeating: 0, count: w.count), dw2 = dw1, db1 = [Float](repeating: 0, count: 16), db2 = db1
        Conv2D.backward(dinp: &dx1, dweight: &dw1, dbias: &db1, col: &col, dcol: &dcol, dout: dout, inp: x, weight: w, s)
        Conv2D.backward(dinp: &dx2, dweight: &dw2, dbias: &db2, col: &col, dcol: &dcol, dout: dout, inp: x, weight: w, s,
                        winograd: &wino)
        for (a, b) in [(dx1, dx2), (dw1, dw2), (db1, db2)] {
            let scale = a.map(abs).max()!
            #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-5 * scale })
        }
    }

    /// Chunks of tiles (including a short last one) give the same result as one chunk.
    @Test func chunkingDoesNotChangeResults() {
        let s = ConvShape(batch: 3, height: 6, width: 4, inChannels: 8, outChannels: 16, kernel: 3, stride: 1, padding: 1)
        let x = randoms(s.batch * 24 * 8, seed: 31), w = randoms(16 * s.patch, seed: 32), b = randoms(16, seed: 33)
        let dout = randoms(s.rows * 16, seed: 34)
        var scratch = [Double](repeating: 0, count: Winograd.scratchSize(s))
        var one = [Double](repeating: 0, count: s.rows * 16), many = one
        Winograd.forward(out: &one, inp: x, weight: w, bias: b, s, scratch: &scratch)
        Winograd.forward(out: &many, inp: x, weight: w, bias: b, s, scratch: &scratch, tilesPerChunk: 5)
        #expect(zip(one, many).allSatisfy { abs($0 - $1) < 1e-12 })
        var dw1 = [Double](repeating: 0, count: w.count), dw2 = dw1, db1 = [Double](repeating: 0, count: 16), db2 = db1
        Winograd.backwardWeights(dweight: &dw1, dbias: &db1, dout: dout, inp: x, s, scratch: &scratch)
        Winograd.backwardWeights(dweight: &dw2, dbias: &db2, dout: dout, inp: x, s, scratch: &scratch, tilesPerChunk: 5)
        #expect(zip(dw1, dw2).allSatisfy { abs($0 - $1) < 1e-10 } && db1 == db2)
    }

    @Test func onlyEvenStrideOneThreeByThreeLayersWithChannelsInEights() {
        func shape(_ h: Int, _ ci: Int, _ co: Int, k: Int = 3, stride: Int = 1) -> ConvShape {
            ConvShape(batch: 1, height: h, width: h, inChannels: ci, outChannels: co, kernel: k, stride: stride, padding: k / 2)
        }
        #expect(Winograd.applies(shape(8, 8, 8)))
        #expect(!Winograd.applies(shape(7, 8, 8)))
        #expect(!Winograd.applies(shape(8, 3, 32)))
        #expect(!Winograd.applies(shape(8, 32, 3)))
        #expect(!Winograd.applies(shape(8, 8, 8, stride: 2)))
        #expect(!Winograd.applies(shape(8, 8, 8, k: 1)))
    }
}
