import NumericCore

/// Group normalisation over NHWC activations: for each sample and group of C/G channels, normalise over
/// (H·W·C/G) values, then scale and shift per channel. Every pass runs along contiguous channels (per-channel
/// partial sums folded into groups), so the loops vectorise.
enum GroupNorm {
    /// - Parameters:
    ///   - out: (batch, hw, C); mean, rstd: (batch, groups) saved statistics
    ///   - inp: (batch, hw, C); weight, bias: (C)
    @inlinable
    static func forward<T: GemmScalar>(out: UnsafeMutablePointer<T>, mean: UnsafeMutablePointer<T>,
                                       rstd: UnsafeMutablePointer<T>, inp: UnsafePointer<T>, weight: UnsafePointer<T>,
                                       bias: UnsafePointer<T>, batch: Int, hw: Int, channels c: Int, groups g: Int,
                                       epsilon: T = 1e-5) {
        withUnsafeTemporaryAllocation(of: T.self, capacity: 3 * c) { scratch in
            let acc = scratch.baseAddress!, a = acc + c, b = a + c
            for s in 0..<batch {
                let x = inp + s * hw * c, y = out + s * hw * c
                statistics(x: x, hw: hw, channels: c, groups: g, epsilon: epsilon, mean: mean + s * g,
                           rstd: rstd + s * g, acc: acc, channelMean: a)
                affine(scale: a, shift: b, mean: mean + s * g, rstd: rstd + s * g, weight: weight, bias: bias,
                       channels: c, groups: g)
                for p in 0..<hw {
                    let row = x + p * c, dst = y + p * c
                    for j in 0..<c { dst[j] = row[j] * a[j] + b[j] }
                }
            }
        }
    }

    /// Mean and 1/std of each group of one sample (two passes: the mean, then squared deviations).
    /// `acc` and `channelMean` are scratch of C values.
    @inlinable
    static func statistics<T: GemmScalar>(x: UnsafePointer<T>, hw: Int, channels c: Int, groups g: Int, epsilon: T,
                                          mean: UnsafeMutablePointer<T>, rstd: UnsafeMutablePointer<T>,
                                          acc: UnsafeMutablePointer<T>, channelMean: UnsafeMutablePointer<T>) {
        let cg = c / g, n = T(hw * cg)
        acc.update(repeating: 0, count: c)
        for p in 0..<hw { let row = x + p * c; for j in 0..<c { acc[j] += row[j] } }
        for gi in 0..<g {
            var sum: T = 0
            for j in 0..<cg { sum += acc[gi * cg + j] }
            let mu = sum / n
            mean[gi] = mu
            for j in 0..<cg { channelMean[gi * cg + j] = mu }
        }
        acc.update(repeating: 0, count: c)
        for p in 0..<hw {
            let row = x + p * c
            for j in 0..<c { let d = row[j] - channelMean[j]; acc[j] += d * d }
        }
        for gi in 0..<g {
            var sum: T = 0
            for j in 0..<cg { sum += acc[gi * cg + j] }
            rstd[gi] = 1 / (sum / n + epsilon).squareRoot()
        }
    }

    /// The normalisation of one sample as a per-channel affine map: out = x·scale + shift.
    @inlinable
    static func affine<T: GemmScalar>(scale: UnsafeMutablePointer<T>, shift: UnsafeMutablePointer<T>,
                                      mean: UnsafePointer<T>, rstd: UnsafePointer<T>, weight: UnsafePointer<T>,
                                      bias: UnsafePointer<T>, channels c: Int, groups g: Int) {
        let cg = c / g
        for ch in 0..<c {
            let gi = ch / cg
            scale[ch] = rstd[gi] * weight[ch]
            shift[ch] = bias[ch] - mean[gi] * scale[ch]
        }
    }

    /// Accumulates dinp, dweight, dbias. With norm = (x − μ)·r, dn = dy·w:
    /// dx = r·(dn − mean(dn) − norm·mean(dn·norm)) = dy·(r·w) + x·B + C per group.
    @inlinable
    static func backward<T: GemmScalar>(dinp: UnsafeMutablePointer<T>, dweight: UnsafeMutablePointer<T>,
                                        dbias: UnsafeMutablePointer<T>, dout: UnsafePointer<T>, inp: UnsafePointer<T>,
                                        weight: UnsafePointer<T>, mean: UnsafePointer<T>, rstd: UnsafePointer<T>,
                                        batch: Int, hw: Int, channels c: Int, groups g: Int) {
        withUnsafeTemporaryAllocation(of: T.self, capacity: 2 * c) { scratch in
            let sdy = scratch.baseAddress!, sdyx = sdy + c
            for s in 0..<batch {
                let x = inp + s * hw * c, dy = dout + s * hw * c
                sdy.update(repeating: 0, count: c)
                sdyx.update(repeating: 0, count: c)
                for p in 0..<hw {
                    let xr = x + p * c, dr = dy + p * c
                    for j in 0..<c { sdy[j] += dr[j]; sdyx[j] += dr[j] * xr[j] }
                }
                backwardFromSums(dinp: dinp + s * hw * c, dweight: dweight, dbias: dbias, dout: dy, inp: x,
                                 weight: weight, mean: mean + s * g, rstd: rstd + s * g, sumDout: sdy,
                                 sumDoutX: sdyx, hw: hw, channels: c, groups: g)
            }
        }
    }

    /// The rest of one sample's backward pass once the per-channel sums Σ_p dy and Σ_p dy·x are known (they are
    /// overwritten): parameter gradients, then dx += dy·(r·w) + x·B + C (dx = … when `accumulate` is false).
    @inlinable
    static func backwardFromSums<T: GemmScalar>(dinp dx: UnsafeMutablePointer<T>, dweight: UnsafeMutablePointer<T>,
                                                dbias: UnsafeMutablePointer<T>, dout dy: UnsafePointer<T>,
                                                inp x: UnsafePointer<T>, weight: UnsafePointer<T>,
                                                mean: UnsafePointer<T>, rstd: UnsafePointer<T>,
                                                sumDout sdy: UnsafeMutablePointer<T>,
                                                sumDoutX sdyx: UnsafeMutablePointer<T>, hw: Int, channels c: Int,
                                                groups g: Int, accumulate: Bool = true) {
        let cg = c / g, n = T(hw * cg)
        withUnsafeTemporaryAllocation(of: T.self, capacity: 2 * c) { scratch in
            let coefA = scratch.baseAddress!, coefB = coefA + c
            for gi in 0..<g {
                let mu = mean[gi], rs = rstd[gi]
                var sumD: T = 0, sumDN: T = 0
                for j in 0..<cg {
                    let ch = gi * cg + j
                    let dyNorm = rs * (sdyx[ch] - mu * sdy[ch]) // Σ_p dy·norm for this channel
                    dweight[ch] += dyNorm
                    dbias[ch] += sdy[ch]
                    sumD += weight[ch] * sdy[ch]
                    sumDN += weight[ch] * dyNorm
                }
                let meanD = sumD / n, meanDN = sumDN / n
                let bx = -rs * rs * meanDN, c0 = -rs * meanD + mu * rs * rs * meanDN
                for j in 0..<cg {
                    let ch = gi * cg + j
                    coefA[ch] = rs * weight[ch]
                    coefB[ch] = bx
                    sdy[ch] = c0 // reuse as the per-channel constant
                }
            }
            for p in 0..<hw {
                let xr = x + p * c, dr = dy + p * c, out = dx + p * c
                if accumulate {
                    for j in 0..<c { out[j] += dr[j] * coefA[j] + xr[j] * coefB[j] + sdy[j] }
                } else {
                    for j in 0..<c { out[j] = dr[j] * coefA[j] + xr[j] * coefB[j] + sdy[j] }
                }
            }
        }
    }
}
