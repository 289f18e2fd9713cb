import Foundation
import NumericCore
import Testing
@testable import Model

/// Every layer's backward against double-precision finite differences (max relative error ≤ 1e-3 per tensor).
struct LayerGradientTests {
    @Test(arguments: [(3, 1, 1, nil), (3, 2, 1, nil), (1, 1, 0, nil), (3, 1, 1, 7), (3, 2, 1, 5)])
    func conv2D(kernel: Int, stride: Int, padding: Int, chunk: Int?) {
        let s = ConvShape(batch: 2, height: 5, width: 6, inChannels: 3, outChannels: 4, kernel: kernel, stride: stride,
                          padding: padding)
        let x = randoms(2 * 5 * 6 * 3, seed: 1), w = randoms(4 * s.patch, seed: 2), b = randoms(4, seed: 3)
        let dout = randoms(s.rows * 4, seed: 4)
        func fwd(_ x: [Double], _ w: [Double], _ b: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: s.rows * 4), col = [Double](repeating: 0, count: s.rows * s.patch)
            Conv2D.forward(out: &out, col: &col, inp: x, weight: w, bias: b, s, chunk: chunk)
            return out
        }
        var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count)
        var db = [Double](repeating: 0, count: 4)
        var col = [Double](repeating: 0, count: s.rows * s.patch), dcol = col
        Conv2D.backward(dinp: &dx, dweight: &dw, dbias: &db, col: &col, dcol: &dcol, dout: dout, inp: x, weight: w, s,
                        chunk: chunk)
        #expect(relativeError(dx, numericGradient(x) { dot(fwd($0, w, b), dout) }) < 1e-3)
        #expect(relativeError(dw, numericGradient(w) { dot(fwd(x, $0, b), dout) }) < 1e-3)
        #expect(relativeError(db, numericGradient(b) { dot(fwd(x, w, $0), dout) }) < 1e-3)
        // Against a direct convolution, written out.
        let out = fwd(x, w, b)
        for bi in 0..<2 { for oy in 0..<s.outHeight { for ox in 0..<s.outWidth { for co in 0..<4 {
            var acc = b[co]
            for ky in 0..<kernel { for kx in 0..<kernel {
                let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
                guard iy >= 0, iy < 5, ix >= 0, ix < 6 else { continue }
                for ci in 0..<3 { acc += w[((co * kernel + ky) * kernel + kx) * 3 + ci] * x[((bi * 5 + iy) * 6 + ix) * 3 + ci] }
            } }
            #expect(abs(out[((bi * s.outHeight + oy) * s.outWidth + ox) * 4 + co] - acc) < 1e-12)
        } } } }
    }

    @Test func linear() {
        let x = randoms(5 * 3, seed: 5), w = randoms(4 * 3, seed: 6), b = randoms(4, seed: 7), dout = randoms(20, seed: 8)
        func fwd(_ x: [Double], _ w: [Double], _ b: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: 20)
            Linear.forward(out: &out, inp: x, weight: w, bias: b, rows: 5, inDim: 3, outDim: 4)
            return out
        }
        var dx = [Double](repeating: 0, count: 15), dw = [Double](repeating: 0, count: 12), db = [Double](repeating: 0, count: 4)
        Linear.backward(dinp: &dx, dweight: &dw, dbias: &db, dout: dout, inp: x, weight: w, rows: 5, inDim: 3, outDim: 4)
        #expect(relativeError(dx, numericGradient(x) { dot(fwd($0, w, b), dout) }) < 1e-3)
        #expect(relativeError(dw, numericGradient(w) { dot(fwd(x, $0, b), dout) }) < 1e-3)
        #expect(relativeError(db, numericGradient(b) { dot(fwd(x, w, $0), dout) }) < 1e-3)
    }

    /// GroupNorm → FiLM → SiLU fused, with and without FiLM: every input against finite differences, and the
    /// forward pass against the three steps written out.
    @Test(arguments: [true, false])
    func normActivation(film: Bool) {
        let (n, hw, c, g) = (2, 6, 4, 2)
        let x = randoms(n * hw * c, seed: 41), w = randoms(c, seed: 42), b = randoms(c, seed: 43)
        let mod = randoms(n * 2 * c, seed: 44, scale: 0.5), dout = randoms(n * hw * c, seed: 45)
        func fwd(_ x: [Double], _ w: [Double], _ b: [Double], _ m: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: x.count), st = [Double](repeating: 0, count: 2 * n * g)
            st.withUnsafeMutableBufferPointer { p in
                m.withUnsafeBufferPointer { mp in
                    NormActivation.forward(out: &out, mean: p.baseAddress!, rstd: p.baseAddress! + n * g, inp: x,
                                           weight: w, bias: b, mod: film ? mp.baseAddress! : nil, batch: n, hw: hw,
                                           channels: c, groups: g)
                }
            }
            return out
        }
        var st = [Double](repeating: 0, count: 2 * n * g), out = [Double](repeating: 0, count: x.count)
        var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: c), db = dw
        var dmod = [Double](repeating: 0, count: mod.count), scratch = [Double](repeating: .nan, count: hw * c)
        st.withUnsafeMutableBufferPointer { p in
            mod.withUnsafeBufferPointer { mp in
                dmod.withUnsafeMutableBufferPointer { dmp in
                    NormActivation.forward(out: &out, mean: p.baseAddress!, rstd: p.baseAddress! + n * g, inp: x,
                                           weight: w, bias: b, mod: film ? mp.baseAddress! : nil, batch: n, hw: hw,
                                           channels: c, groups: g)
                    NormActivation.backward(dinp: &dx, dweight: &dw, dbias: &db, dmod: film ? dmp.baseAddress! : nil,
                                            dout: dout, inp: x, weight: w, bias: b, mod: film ? mp.baseAddress! : nil,
                                            mean: p.baseAddress!, rstd: p.baseAddress! + n * g, batch: n, hw: hw,
                                            channels: c, groups: g, scratch: &scratch)
                }
            }
        }
        #expect(relativeError(dx, numericGradient(x) { dot(fwd($0, w, b, mod), dout) }) < 1e-6)
        #expect(relativeError(dw, numericGradient(w) { dot(fwd(x, $0, b, mod), dout) }) < 1e-6)
        #expect(relativeError(db, numericGradient(b) { dot(fwd(x, w, $0, mod), dout) }) < 1e-6)
        if film {
            #expect(relativeError(dmod, numericGradient(mod) { dot(fwd(x, w, b, $0), dout) }) < 1e-6)
        }
        // The three steps written out: GroupNorm by its definition, FiLM, SiLU.
        for s in 0..<n { for gi in 0..<g {
            var vals: [Double] = []
            for p in 0..<hw { for j in 0..<(c / g) { vals.append(x[(s * hw + p) * c + gi * (c / g) + j]) } }
            let mu = vals.reduce(0, +) / Double(vals.count)
            let variance = vals.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(vals.count)
            for p in 0..<hw { for j in 0..<(c / g) {
                let ch = gi * (c / g) + j, i = (s * hw + p) * c + ch
                var z = (x[i] - mu) / (variance + 1e-5).squareRoot() * w[ch] + b[ch]
                if film { z = z * (1 + mod[s * 2 * c + ch]) + mod[s * 2 * c + c + ch] }
                #expect(abs(out[i] - z / (1 + exp(-z))) < 1e-12)
            } }
        } }
    }

    @Test func groupNorm() {
        let (n, hw, c, g) = (2, 6, 4, 2)
        let x = randoms(n * hw * c, seed: 9), w = randoms(c, seed: 10), b = randoms(c, seed: 11)
        let dout = randoms(n * hw * c, seed: 12)
        func fwd(_ x: [Double], _ w: [Double], _ b: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: x.count), st = [Double](repeating: 0, count: 2 * n * g)
            st.withUnsafeMutableBufferPointer { p in
                GroupNorm.forward(out: &out, mean: p.baseAddress!, rstd: p.baseAddress! + n * g, inp: x, weight: w,
                                  bias: b, batch: n, hw: hw, channels: c, groups: g)
            }
            return out
        }
        var st = [Double](repeating: 0, count: 2 * n * g), out = [Double](repeating: 0, count: x.count)
        var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: c), db = dw
        st.withUnsafeMutableBufferPointer { p in
            GroupNorm.forward(out: &out, mean: p.baseAddress!, rstd: p.baseAddress! + n * g, inp: x, weight: w, bias: b,
                              batch: n, hw: hw, channels: c, groups: g)
            GroupNorm.backward(dinp: &dx, dweight: &dw, dbias: &db, dout: dout, inp: x, weight: w, mean: p.baseAddress!,
                               rstd: p.baseAddress! + n * g, batch: n, hw: hw, channels: c, groups: g)
        }
        #expect(relativeError(dx, numericGradient(x) { dot(fwd($0, w, b), dout) }) < 1e-3)
        #expect(relativeError(dw, numericGradient(w) { dot(fwd(x, $0, b), dout) }) < 1e-3)
        #expect(relativeError(db, numericGradient(b) { dot(fwd(x, w, $0), dout) }) < 1e-3)
    }

    @Test(arguments: [false, true])
    func attention(masked: Bool) {
        let (n, nq, nk, c, heads) = (2, 3, 4, 4, 2)
        let q = randoms(n * nq * c, seed: 13), k = randoms(n * nk * c, seed: 14), v = randoms(n * nk * c, seed: 15)
        let dout = randoms(n * nq * c, seed: 16)
        let mask: [Bool] = [true, true, false, true, true, false, false, false]
        func fwd(_ q: [Double], _ k: [Double], _ v: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: n * nq * c), p = [Double](repeating: 0, count: n * heads * nq * nk)
            mask.withUnsafeBufferPointer { m in
                Attention.forward(out: &out, probs: &p, q: q, k: k, v: v, keyMask: masked ? m.baseAddress : nil,
                                  batch: n, nq: nq, nk: nk, channels: c, heads: heads)
            }
            return out
        }
        var out = [Double](repeating: 0, count: n * nq * c), p = [Double](repeating: 0, count: n * heads * nq * nk)
        mask.withUnsafeBufferPointer { m in
            Attention.forward(out: &out, probs: &p, q: q, k: k, v: v, keyMask: masked ? m.baseAddress : nil, batch: n,
                              nq: nq, nk: nk, channels: c, heads: heads)
        }
        var dq = [Double](repeating: 0, count: q.count), dk = [Double](repeating: 0, count: k.count), dv = dk
        var scratch = [Double](repeating: 0, count: 2 * nq * nk)
        Attention.backward(dq: &dq, dk: &dk, dv: &dv, scratch: &scratch, dout: dout, probs: p, q: q, k: k, v: v,
                           batch: n, nq: nq, nk: nk, channels: c, heads: heads)
        #expect(relativeError(dq, numericGradient(q) { dot(fwd($0, k, v), dout) }) < 1e-3)
        #expect(relativeError(dk, numericGradient(k) { dot(fwd(q, $0, v), dout) }) < 1e-3)
        #expect(relativeError(dv, numericGradient(v) { dot(fwd(q, k, $0), dout) }) < 1e-3)
        if masked {
            // Masked keys get no attention and no gradient.
            for h in 0..<heads { for i in 0..<nq { #expect(p[((0 * heads + h) * nq + i) * nk + 2] == 0) } }
            #expect(dk[(0 * nk + 2) * c..<(0 * nk + 3) * c].allSatisfy { $0 == 0 })
        }
    }

    @Test func upsampleConcatAndEmbeddings() {
        let x = randoms(2 * 2 * 3 * 2, seed: 17), dout = randoms(2 * 4 * 6 * 2, seed: 18)
        func up(_ x: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: dout.count)
            Resample.upsampleForward(out: &out, inp: x, batch: 2, height: 2, width: 3, channels: 2)
            return out
        }
        var dx = [Double](repeating: 0, count: x.count)
        Resample.upsampleBackward(dinp: &dx, dout: dout, batch: 2, height: 2, width: 3, channels: 2)
        #expect(relativeError(dx, numericGradient(x) { dot(up($0), dout) }) < 1e-3)

        let a = randoms(6, seed: 19), b = randoms(9, seed: 20), dcat = randoms(15, seed: 21)
        var cat = [Double](repeating: 0, count: 15)
        Resample.concatForward(out: &cat, a: a, b: b, rows: 3, ca: 2, cb: 3)
        #expect(Array(cat[0..<5]) == [a[0], a[1], b[0], b[1], b[2]])
        var da = [Double](repeating: 0, count: 6), db = [Double](repeating: 0, count: 9)
        Resample.concatBackward(da: &da, db: &db, dout: dcat, rows: 3, ca: 2, cb: 3)
        #expect(da[2] == dcat[5] && db[4] == dcat[8])

        let ids: [Int32] = [1, 0, 3, 3], table = randoms(4 * 2, seed: 22), pos = randoms(2 * 2, seed: 23)
        let demb = randoms(8, seed: 24)
        func emb(_ t: [Double], _ p: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: 8)
            Embeddings.tokenForward(out: &out, ids: ids, tokenTable: t, positionTable: p, batch: 2, length: 2, dim: 2)
            return out
        }
        var dt = [Double](repeating: 0, count: 8), dp = [Double](repeating: 0, count: 4)
        Embeddings.tokenBackward(dTokenTable: &dt, dPositionTable: &dp, dout: demb, ids: ids, batch: 2, length: 2, dim: 2)
        #expect(relativeError(dt, numericGradient(table) { dot(emb($0, pos), demb) }) < 1e-3)
        #expect(relativeError(dp, numericGradient(pos) { dot(emb(table, $0), demb) }) < 1e-3)
    }

    @Test func imagePositionTable() {
        let batch = 3, count = 5
        let x = randoms(batch * count, seed: 25), table = randoms(count, seed: 26), dout = randoms(batch * count, seed: 27)
        func fwd(_ x: [Double], _ t: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: batch * count)
            Embeddings.tableForward(out: &out, inp: x, table: t, batch: batch, count: count)
            return out
        }
        #expect(fwd(x, table)[count + 2] == x[count + 2] + table[2])
        for accumulate in [false, true] {
            var dx = [Double](repeating: accumulate ? 0.5 : 9, count: x.count), dt = [Double](repeating: 0, count: count)
            Embeddings.tableBackward(dinp: &dx, dTable: &dt, dout: dout, batch: batch, count: count,
                                     accumulateInput: accumulate)
            let expected = numericGradient(x) { dot(fwd($0, table), dout) }.map { $0 + (accumulate ? 0.5 : 0) }
            #expect(relativeError(dx, expected) < 1e-3)
            #expect(relativeError(dt, numericGradient(table) { dot(fwd(x, $0), dout) }) < 1e-3)
        }
    }
}
