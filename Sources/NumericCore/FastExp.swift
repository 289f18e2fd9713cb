/// e^x for Float32 without a libm call, so loops using it vectorise: range reduction x = n·ln2 + r
/// (|r| ≤ ln2/2), a degree-6 Taylor polynomial for e^r (relative error < 2e-7) and 2^n written into the exponent
/// bits. Inputs are clamped to [−87, 87]. The rounding to n uses the 1.5·2²³ shifter instead of `rounded()`
/// (which calls `rintf` and blocks vectorisation); integer steps wrap so nothing can trap.
@inlinable @inline(__always)
public func fastExp(_ y: Float) -> Float {
    let shifter: Float = 12_582_912  // 1.5 · 2^23: adding it rounds to an integer held in the low mantissa bits
    let x = min(max(y, -87), 87)
    let t = x * 1.442_695_04 + shifter
    let n = t - shifter
    let r = x - n * 0.693_145_75 - n * 1.428_606_8e-6
    var p: Float = 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let ni = Int32(bitPattern: t.bitPattern) &- Int32(bitPattern: shifter.bitPattern)
    return p * Float(bitPattern: UInt32(bitPattern: (ni &+ 127) &<< 23))
}
