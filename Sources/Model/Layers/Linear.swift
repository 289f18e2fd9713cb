import NumericCore

/// Fully connected layer on a (rows, in) matrix: out = inp·Wᵀ + b, W of shape (out, in) as in PyTorch.
enum Linear {
    /// - Parameters:
    ///   - out: (rows, outDim)
    ///   - inp: (rows, inDim)
    ///   - weight: (outDim, inDim); bias: (outDim) or nil
    @inlinable
    static func forward<T: GemmScalar>(out: UnsafeMutablePointer<T>, inp: UnsafePointer<T>, weight: UnsafePointer<T>,
                                       bias: UnsafePointer<T>?, rows: Int, inDim: Int, outDim: Int) {
        T.gemm(.none, .transposed, m: rows, n: outDim, k: inDim, alpha: 1, a: inp, lda: inDim, b: weight, ldb: inDim,
               beta: 0, c: out, ldc: outDim)
        if let bias {
            for r in 0..<rows {
                let o = out + r * outDim
                for j in 0..<outDim { o[j] += bias[j] }
            }
        }
    }

    /// Accumulates dinp (if given; overwritten instead when `accumulateInput` is false), dweight and dbias.
    /// - Parameters:
    ///   - dinp: (rows, inDim) or nil when the input needs no gradient
    ///   - dweight: (outDim, inDim); dbias: (outDim) or nil
    ///   - dout: (rows, outDim); inp: (rows, inDim) saved from the forward pass
    @inlinable
    static func backward<T: GemmScalar>(dinp: UnsafeMutablePointer<T>?, dweight: UnsafeMutablePointer<T>,
                                        dbias: UnsafeMutablePointer<T>?, dout: UnsafePointer<T>, inp: UnsafePointer<T>,
                                        weight: UnsafePointer<T>, rows: Int, inDim: Int, outDim: Int,
                                        accumulateInput: Bool = true) {
        if let dinp {
            T.gemm(.none, .none, m: rows, n: inDim, k: outDim, alpha: 1, a: dout, lda: outDim, b: weight, ldb: inDim,
                   beta: accumulateInput ? 1 : 0, c: dinp, ldc: inDim)
        }
        T.gemm(.transposed, .none, m: outDim, n: inDim, k: rows, alpha: 1, a: dout, lda: outDim, b: inp, ldb: inDim,
               beta: 1, c: dweight, ldc: inDim)
        if let dbias {
            for r in 0..<rows {
                let d = dout + r * outDim
                for j in 0..<outDim { dbias[j] += d[j] }
            }
        }
    }
}
