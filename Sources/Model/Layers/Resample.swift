import NumericCore

/// Nearest-neighbour 2× upsampling and channel concatenation on NHWC activations.
enum Resample {
    /// out (batch, 2H, 2W, C) from inp (batch, H, W, C).
    @inlinable
    static func upsampleForward<T: GemmScalar>(out: UnsafeMutablePointer<T>, inp: UnsafePointer<T>, batch: Int,
                                               height: Int, width: Int, channels c: Int) {
        let ow = 2 * width
        for b in 0..<batch {
            for y in 0..<(2 * height) {
                for x in 0..<ow {
                    (out + ((b * 2 * height + y) * ow + x) * c)
                        .update(from: inp + ((b * height + y / 2) * width + x / 2) * c, count: c)
                }
            }
        }
    }

    /// dinp += the sum of the four output gradients each input pixel fed.
    @inlinable
    static func upsampleBackward<T: GemmScalar>(dinp: UnsafeMutablePointer<T>, dout: UnsafePointer<T>, batch: Int,
                                                height: Int, width: Int, channels c: Int) {
        let ow = 2 * width
        for b in 0..<batch {
            for y in 0..<(2 * height) {
                for x in 0..<ow {
                    let src = dout + ((b * 2 * height + y) * ow + x) * c
                    let dst = dinp + ((b * height + y / 2) * width + x / 2) * c
                    for j in 0..<c { dst[j] += src[j] }
                }
            }
        }
    }

    /// out (rows, ca + cb) = [a | b].
    @inlinable
    static func concatForward<T: GemmScalar>(out: UnsafeMutablePointer<T>, a: UnsafePointer<T>, b: UnsafePointer<T>,
                                             rows: Int, ca: Int, cb: Int) {
        for r in 0..<rows {
            (out + r * (ca + cb)).update(from: a + r * ca, count: ca)
            (out + r * (ca + cb) + ca).update(from: b + r * cb, count: cb)
        }
    }

    /// da += dout[:, :ca], db += dout[:, ca:] (or = for an input whose `accumulate` flag is false).
    @inlinable
    static func concatBackward<T: GemmScalar>(da: UnsafeMutablePointer<T>, db: UnsafeMutablePointer<T>,
                                              dout: UnsafePointer<T>, rows: Int, ca: Int, cb: Int,
                                              accumulateA: Bool = true, accumulateB: Bool = true) {
        for r in 0..<rows {
            let d = dout + r * (ca + cb)
            if accumulateA {
                for j in 0..<ca { da[r * ca + j] += d[j] }
            } else {
                for j in 0..<ca { da[r * ca + j] = d[j] }
            }
            if accumulateB {
                for j in 0..<cb { db[r * cb + j] += d[ca + j] }
            } else {
                for j in 0..<cb { db[r * cb + j] = d[ca + j] }
            }
        }
    }
}
