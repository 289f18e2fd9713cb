import NumericCore

/// Token + position embeddings, the image position table and the sinusoidal timestep embedding.
enum Embeddings {
    /// out[(b, l), :] = tokenTable[ids[b, l], :] + positionTable[l, :].
    @inlinable
    static func tokenForward<T: GemmScalar>(out: UnsafeMutablePointer<T>, ids: UnsafePointer<Int32>,
                                            tokenTable: UnsafePointer<T>, positionTable: UnsafePointer<T>,
                                            batch: Int, length: Int, dim: Int) {
        for b in 0..<batch {
            for l in 0..<length {
                let o = out + (b * length + l) * dim
                let t = tokenTable + Int(ids[b * length + l]) * dim, p = positionTable + l * dim
                for j in 0..<dim { o[j] = t[j] + p[j] }
            }
        }
    }

    /// Accumulates the table gradients.
    @inlinable
    static func tokenBackward<T: GemmScalar>(dTokenTable: UnsafeMutablePointer<T>, dPositionTable: UnsafeMutablePointer<T>,
                                             dout: UnsafePointer<T>, ids: UnsafePointer<Int32>, batch: Int,
                                             length: Int, dim: Int) {
        for b in 0..<batch {
            for l in 0..<length {
                let d = dout + (b * length + l) * dim
                let t = dTokenTable + Int(ids[b * length + l]) * dim, p = dPositionTable + l * dim
                for j in 0..<dim {
                    t[j] += d[j]
                    p[j] += d[j]
                }
            }
        }
    }

    /// out[b, :] = inp[b, :] + table[:] for every sample b (the image position table).
    @inlinable
    static func tableForward<T: GemmScalar>(out: UnsafeMutablePointer<T>, inp: UnsafePointer<T>,
                                            table: UnsafePointer<T>, batch: Int, count: Int) {
        for b in 0..<batch {
            let o = out + b * count, x = inp + b * count
            for j in 0..<count { o[j] = x[j] + table[j] }
        }
    }

    /// dinp (+)= dout; dtable += Σ_b dout[b].
    @inlinable
    static func tableBackward<T: GemmScalar>(dinp: UnsafeMutablePointer<T>?, dTable: UnsafeMutablePointer<T>,
                                             dout: UnsafePointer<T>, batch: Int, count: Int, accumulateInput: Bool) {
        for b in 0..<batch {
            let d = dout + b * count
            for j in 0..<count { dTable[j] += d[j] }
            guard let dx = dinp.map({ $0 + b * count }) else { continue }
            if accumulateInput {
                for j in 0..<count { dx[j] += d[j] }
            } else {
                dx.update(from: d, count: count)
            }
        }
    }

    /// Sinusoidal features of 1000·t (as diffusion models embed timesteps): [cos(1000t·f_i), sin(1000t·f_i)],
    /// f_i = 10000^(−i/(dim/2)).
    @inlinable
    static func timestep<T: GemmScalar>(out: UnsafeMutablePointer<T>, t: UnsafePointer<T>, batch: Int, dim: Int) {
        let half = dim / 2
        for b in 0..<batch {
            for i in 0..<half {
                let f = T.exp(-T.log(10000) * T(i) / T(half))
                let a = 1000 * t[b] * f
                out[b * dim + i] = T.cos(a)
                out[b * dim + half + i] = T.sin(a)
            }
        }
    }
}
