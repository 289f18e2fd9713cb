import Dispatch
import NumericCore

/// Times single layers in isolation (for `flowcps-bench conv`): where a layer's time goes is easier to see
/// without the rest of the model around it.
public enum LayerTiming {
    /// One pass of a convolution layer.
    public enum ConvPass: String, CaseIterable, Sendable {
        case forward, inputGradient = "input gradient", weightGradient = "weight gradient"
    }

    /// Best-of-`repeats` seconds for one pass of a 3×3 stride-1 convolution on a (batch, side, side, inChannels)
    /// input, by im2col or Winograd (whose weight transform for that pass is included).
    public static func conv3x3(side: Int, inChannels: Int, outChannels: Int, batch: Int, winograd: Bool,
                               pass: ConvPass, repeats: Int) -> Double {
        let s = ConvShape(batch: batch, height: side, width: side, inChannels: inChannels, outChannels: outChannels,
                          kernel: 3, stride: 1, padding: 1)
        var rng = RandomStream(seed: 3, domain: "layer-timing")
        let x = rng.gaussians(batch * side * side * inChannels), w = rng.gaussians(outChannels * s.patch)
        let b = rng.gaussians(outChannels), dout = rng.gaussians(s.rows * outChannels)
        var out = [Float](repeating: 0, count: s.rows * outChannels), dx = x, dw = w, db = b
        var col = [Float](repeating: 0, count: Conv2D.chunkRows(s) * s.patch), dcol = col
        var scratch = [Float](repeating: 0, count: max(1, Winograd.scratchSize(s)))
        let wino = winograd && Winograd.applies(s)
        var best = Double.infinity
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            scratch.withUnsafeMutableBufferPointer { sp in
                let sp = sp.baseAddress!
                switch (pass, wino) {
                case (.forward, _):
                    Conv2D.forward(out: &out, col: &col, inp: x, weight: w, bias: b, s, winograd: wino ? sp : nil)
                case (.inputGradient, true):
                    Winograd.backwardInput(dinp: &dx, dout: dout, weight: w, s, scratch: sp)
                case (.inputGradient, false):
                    Conv2D.im2colInputGradient(dinp: &dx, dcol: &dcol, dout: dout, weight: w, s)
                case (.weightGradient, true):
                    Winograd.backwardWeights(dweight: &dw, dbias: &db, dout: dout, inp: x, s, scratch: sp)
                case (.weightGradient, false):
                    Conv2D.im2colWeightGradient(dweight: &dw, dbias: &db, col: &col, dout: dout, inp: x, weight: w, s)
                }
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        }
        return best
    }
}
