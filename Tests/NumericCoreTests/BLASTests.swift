import Testing
import NumericCore

struct BLASTests {
    /// Random matrix entries from a seeded stream.
    private func random(_ n: Int, seed: UInt64) -> [Float] {
        var s = RandomStream(seed: seed, domain: "blas-test")
        return s.gaussians(n)
    }

    /// Reference: C = alpha·op(A)·op(B) + beta·C by triple loop in Double, with arbitrary leading dimensions.
    private func naive(_ ta: Transpose, _ tb: Transpose, m: Int, n: Int, k: Int, alpha: Float,
                       a: [Float], lda: Int, b: [Float], ldb: Int, beta: Float, c: [Float], ldc: Int) -> [Float] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = ta == .none ? a[i * lda + p] : a[p * lda + i]
                    let bv = tb == .none ? b[p * ldb + j] : b[j * ldb + p]
                    s += Double(av) * Double(bv)
                }
                out[i * ldc + j] = Float(Double(alpha) * s + Double(beta) * Double(c[i * ldc + j]))
            }
        }
        return out
    }

    @Test(arguments: [(Transpose.none, Transpose.none), (.none, .transposed), (.transposed, .none),
                      (.transposed, .transposed)])
    func sgemmMatchesNaiveProduct(ta: Transpose, tb: Transpose) {
        let m = 7, n = 5, k = 9
        // Padded leading dimensions exercise the stride arguments.
        let aRows = ta == .none ? m : k, aCols = ta == .none ? k : m
        let bRows = tb == .none ? k : n, bCols = tb == .none ? n : k
        let lda = aCols + 2, ldb = bCols + 3, ldc = n + 1
        let a = random(aRows * lda, seed: 1), b = random(bRows * ldb, seed: 2), c0 = random(m * ldc, seed: 3)
        var c = c0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(ta, tb, m: m, n: n, k: k, alpha: 0.75, a: pa.baseAddress!, lda: lda,
                               b: pb.baseAddress!, ldb: ldb, beta: 0.5, c: pc.baseAddress!, ldc: ldc)
                }
            }
        }
        let expected = naive(ta, tb, m: m, n: n, k: k, alpha: 0.75, a: a, lda: lda, b: b, ldb: ldb,
                             beta: 0.5, c: c0, ldc: ldc)
        for i in 0..<m {
            for j in 0..<n { #expect(abs(c[i * ldc + j] - expected[i * ldc + j]) < 1e-4) }
            // Padding columns of C are untouched.
            #expect(c[i * ldc + n] == c0[i * ldc + n])
        }
        _ = aRows
    }

    @Test(arguments: Transpose.allCases)
    func stridedBatchMatchesPerItemProducts(tb: Transpose) {
        let batch = 4, m = 3, n = 6, k = 5
        let strideA = m * k, strideC = m * n
        let a = random(batch * strideA, seed: 4)
        let b = random(n * k, seed: 5) // shared weights: stride 0
        let ldb = tb == .none ? n : k
        var c = [Float](repeating: 0, count: batch * strideC)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemmStridedBatched(.none, tb, m: m, n: n, k: k, a: pa.baseAddress!, lda: k, strideA: strideA,
                                             b: pb.baseAddress!, ldb: ldb, strideB: 0,
                                             c: pc.baseAddress!, ldc: n, strideC: strideC, batch: batch)
                }
            }
        }
        for i in 0..<batch {
            let ai = Array(a[i * strideA..<(i + 1) * strideA])
            let expected = naive(.none, tb, m: m, n: n, k: k, alpha: 1, a: ai, lda: k, b: b, ldb: ldb,
                                 beta: 0, c: [Float](repeating: 0, count: strideC), ldc: n)
            for j in 0..<strideC { #expect(abs(c[i * strideC + j] - expected[j]) < 1e-4) }
        }
    }

    @Test func tensorMatmulHandlesShapesAndTransposes() {
        let a = Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [3, 2], storage: [7, 8, 9, 10, 11, 12])
        // Worked by hand: [[58, 64], [139, 154]].
        #expect(BLAS.matmul(a, b) == Tensor(shape: [2, 2], storage: [58, 64, 139, 154]))
        // Aᵀ·A is 3×3 and symmetric.
        let ata = BLAS.matmul(a, a, transA: .transposed)
        #expect(ata.shape == [3, 3])
        #expect(ata[0, 1] == ata[1, 0] && ata[0, 0] == 17)
        // Empty inner dimension gives zeros, not a crash.
        #expect(BLAS.matmul(Tensor(shape: [2, 0]), Tensor(shape: [0, 3])) == Tensor(shape: [2, 3]))
    }
}
