/// Pointwise nonlinearities with their backward twins (gradients accumulate into `dinp`).
public enum Activations {
    /// SiLU (swish): out = x·σ(x).
    @inlinable
    public static func siluForward<T: GemmScalar>(out: UnsafeMutablePointer<T>, inp: UnsafePointer<T>, count n: Int) {
        if T.self == Float.self {
            let o = UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self)
            let x = UnsafeRawPointer(inp).assumingMemoryBound(to: Float.self)
            for i in 0..<n { o[i] = x[i] / (1 + fastExp(-x[i])) }
            return
        }
        for i in 0..<n {
            let x = inp[i]
            out[i] = x / (1 + T.exp(-x))
        }
    }

    /// dinp += dout · σ(x)·(1 + x·(1 − σ(x))).
    @inlinable
    public static func siluBackward<T: GemmScalar>(dinp: UnsafeMutablePointer<T>, inp: UnsafePointer<T>,
                                                   dout: UnsafePointer<T>, count n: Int) {
        if T.self == Float.self {
            let dx = UnsafeMutableRawPointer(dinp).assumingMemoryBound(to: Float.self)
            let x = UnsafeRawPointer(inp).assumingMemoryBound(to: Float.self)
            let dy = UnsafeRawPointer(dout).assumingMemoryBound(to: Float.self)
            for i in 0..<n {
                let s = 1 / (1 + fastExp(-x[i]))
                dx[i] += dy[i] * s * (1 + x[i] * (1 - s))
            }
            return
        }
        for i in 0..<n {
            let x = inp[i]
            let s = 1 / (1 + T.exp(-x))
            dinp[i] += dout[i] * s * (1 + x * (1 - s))
        }
    }

    /// σ(x) = 1/(1 + e^−x) for one value (the call-free `fastExp` in Float, so loops using it vectorise).
    @inlinable @inline(__always)
    public static func sigmoid<T: GemmScalar>(_ x: T) -> T {
        if T.self == Float.self {
            let f = unsafeBitCast(x, to: Float.self)
            return unsafeBitCast(1 / (1 + fastExp(-f)), to: T.self)
        }
        return 1 / (1 + T.exp(-x))
    }

    /// √(2/π).
    @inlinable static func geluScale<T: GemmScalar>() -> T { (2 / T.pi).squareRoot() }

    /// GELU, tanh approximation (as GPT-2 and llm.c): out = ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
    @inlinable
    public static func geluForward<T: GemmScalar>(out: UnsafeMutablePointer<T>, inp: UnsafePointer<T>, count n: Int) {
        let g: T = geluScale()
        let c: T = 0.044715
        for i in 0..<n {
            let x = inp[i]
            let u = g * (x + c * x * x * x)
            out[i] = x / 2 * (1 + T.tanh(u))
        }
    }

    /// dinp += dout · d/dx GELU(x) for the tanh approximation.
    @inlinable
    public static func geluBackward<T: GemmScalar>(dinp: UnsafeMutablePointer<T>, inp: UnsafePointer<T>,
                                                   dout: UnsafePointer<T>, count n: Int) {
        let g: T = geluScale()
        let c: T = 0.044715
        for i in 0..<n {
            let x = inp[i]
            let u = g * (x + c * x * x * x)
            let th = T.tanh(u)
            let sech2 = 1 - th * th
            let du = g * (1 + 3 * c * x * x)
            dinp[i] += dout[i] * ((1 + th) / 2 + x / 2 * sech2 * du)
        }
    }
}
