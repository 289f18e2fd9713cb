import NumericCore

/// GroupNorm → optional FiLM → SiLU in one op, the pre-activation of every residual block and of the output
/// (docs/model.md): out = SiLU((GN(x))·(1 + scale) + shift). Only the statistics and the output are kept; the
/// backward pass recomputes the normalised values from x. One pass over the activations replaces three in each
/// direction, and two intermediate buffers per block disappear.
enum NormActivation {
    /// - Parameters:
    ///   - out: (batch, hw, C); mean, rstd: (batch, groups) saved statistics
    ///   - inp: (batch, hw, C); weight, bias: GroupNorm's (C)
    ///   - mod: (batch, 2C) as (scale | shift) per sample, or nil for no FiLM
    @inlinable
    static func forward<T: GemmScalar>(out: UnsafeMutablePointer<T>, mean: UnsafeMutablePointer<T>,
                                       rstd: UnsafeMutablePointer<T>, inp: UnsafePointer<T>, weight: UnsafePointer<T>,
                                       bias: UnsafePointer<T>, mod: UnsafePointer<T>?, batch: Int, hw: Int,
                                       channels c: Int, groups g: Int, epsilon: T = 1e-5) {
        withUnsafeTemporaryAllocation(of: T.self, capacity: 3 * c) { scratch in
            let acc = scratch.baseAddress!, a = acc + c, b = a + c
            for s in 0..<batch {
                let x = inp + s * hw * c, y = out + s * hw * c
                GroupNorm.statistics(x: x, hw: hw, channels: c, groups: g, epsilon: epsilon, mean: mean + s * g,
                                     rstd: rstd + s * g, acc: acc, channelMean: a)
                GroupNorm.affine(scale: a, shift: b, mean: mean + s * g, rstd: rstd + s * g, weight: weight,
                                 bias: bias, channels: c, groups: g)
                if let mod { fold(scale: a, shift: b, mod: mod + s * 2 * c, channels: c) }
                for p in 0..<hw {
                    let row = x + p * c, dst = y + p * c
                    for j in 0..<c {
                        let z = row[j] * a[j] + b[j]
                        dst[j] = z * Activations.sigmoid(z)
                    }
                }
            }
        }
    }

    /// Folds FiLM into the per-channel affine map: (x·a + b)·(1 + scale) + shift.
    @inlinable
    static func fold<T: GemmScalar>(scale a: UnsafeMutablePointer<T>, shift b: UnsafeMutablePointer<T>,
                                    mod: UnsafePointer<T>, channels c: Int) {
        for j in 0..<c {
            let m = 1 + mod[j]
            a[j] *= m
            b[j] = b[j] * m + mod[c + j]
        }
    }

    /// Accumulates dinp (overwritten instead when `accumulateInput` is false), dweight, dbias and (with FiLM) dmod.
    /// `scratch` holds hw·C values (∂L/∂GN(x) of one sample).
    @inlinable
    static func backward<T: GemmScalar>(dinp: UnsafeMutablePointer<T>, dweight: UnsafeMutablePointer<T>,
                                        dbias: UnsafeMutablePointer<T>, dmod: UnsafeMutablePointer<T>?,
                                        dout: UnsafePointer<T>, inp: UnsafePointer<T>, weight: UnsafePointer<T>,
                                        bias: UnsafePointer<T>, mod: UnsafePointer<T>?, mean: UnsafePointer<T>,
                                        rstd: UnsafePointer<T>, batch: Int, hw: Int, channels c: Int, groups g: Int,
                                        scratch dn: UnsafeMutablePointer<T>, accumulateInput: Bool = true) {
        withUnsafeTemporaryAllocation(of: T.self, capacity: 8 * c) { buffer in
            let na = buffer.baseAddress!, nb = na + c, za = nb + c, zb = za + c
            let sdz = zb + c, sdzn = sdz + c, film = sdzn + c, sdnx = film + c
            for s in 0..<batch {
                let x = inp + s * hw * c, dy = dout + s * hw * c
                GroupNorm.affine(scale: na, shift: nb, mean: mean + s * g, rstd: rstd + s * g, weight: weight,
                                 bias: bias, channels: c, groups: g)
                za.update(from: na, count: c)
                zb.update(from: nb, count: c)
                if let mod {
                    fold(scale: za, shift: zb, mod: mod + s * 2 * c, channels: c)
                    for j in 0..<c { film[j] = 1 + mod[s * 2 * c + j] }
                } else {
                    film.update(repeating: 1, count: c)
                }
                sdz.update(repeating: 0, count: c)
                sdzn.update(repeating: 0, count: c)
                sdnx.update(repeating: 0, count: c)
                // dz = dy·SiLU'(z); dn = dz·(1 + scale); Σ dz and Σ dz·GN(x) per channel for the FiLM gradient,
                // Σ dn·x for GroupNorm's.
                for p in 0..<hw {
                    let xr = x + p * c, dr = dy + p * c, dnr = dn + p * c
                    for j in 0..<c {
                        let z = xr[j] * za[j] + zb[j]
                        let sg = Activations.sigmoid(z)
                        let dz = dr[j] * sg * (1 + z * (1 - sg))
                        sdz[j] += dz
                        sdzn[j] += dz * (xr[j] * na[j] + nb[j])
                        let d = dz * film[j]
                        dnr[j] = d
                        sdnx[j] += d * xr[j]
                    }
                }
                if let dmod {
                    let d = dmod + s * 2 * c
                    for j in 0..<c { d[j] += sdzn[j]; d[c + j] += sdz[j] }
                }
                // GroupNorm's backward from ∂L/∂GN(x) = dn, with Σ dn = (1 + scale)·Σ dz.
                let sdn = za
                for j in 0..<c { sdn[j] = film[j] * sdz[j] }
                GroupNorm.backwardFromSums(dinp: dinp + s * hw * c, dweight: dweight, dbias: dbias, dout: dn, inp: x,
                                           weight: weight, mean: mean + s * g, rstd: rstd + s * g, sumDout: sdn,
                                           sumDoutX: sdnx, hw: hw, channels: c, groups: g, accumulate: accumulateInput)
            }
        }
    }
}
