import ArgumentParser
import Foundation
import Model
import NumericCore

extension Bench {
    /// Model throughput: forward images/s and forward+backward images/s at 1 and 2 threads.
    struct ModelSpeed: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "model",
            abstract: "Forward (batch 64) and forward+backward (batch 32) images/s of the U-Net at 1 and 2 threads."
        )

        @Option(help: "Timed repetitions per measurement; the best is reported.")
        var repeats = 3
        @Option(help: "Thread counts to measure (comma-separated).")
        var threads = "1,2"
        @Option(help: "Checkpoint whose weights to use (default: a fresh standard model).")
        var model: String?
        @Flag(help: "Print JSON lines.")
        var json = false
        @Flag(help: "Also print where the time goes: seconds per op kind over the timed repetitions.")
        var profile = false

        func run() throws {
            let m = try model.map { try Checkpoint.load(path: $0).model } ?? FlowUNet(config: .standard, seed: 1)
            let gflop = m.forwardFLOPsPerImage / 1e9
            if !json {
                print(String(format: "parameters %d; %.3f GFLOP per image forward; OpenBLAS core %@", m.parameters.count, gflop, BLAS.coreName))
                print("threads  forward img/s (b64)  fwd+bwd img/s (b32)  forward GFLOP/s  fwd+bwd GFLOP/s")
            }
            for th in threads.split(separator: ",").compactMap({ Int($0) }) {
                m.threads = th
                let fwd = try measure(m, batch: 64, backward: false)
                if profile { printProfile(m, "forward, batch 64, threads \(th)") }
                let both = try measure(m, batch: 32, backward: true)
                if profile { printProfile(m, "forward+backward, batch 32, threads \(th)") }
                if json {
                    print("{\"impl\":\"swift\",\"threads\":\(th),\"forward\":\(fwd),\"forward_backward\":\(both),\"gflop_forward\":\(gflop)}")
                } else {
                    print(String(format: "%7d  %19.1f  %19.1f  %15.1f  %15.1f", th, fwd, both, fwd * gflop, both * 3 * gflop))
                }
            }
        }

        private func printProfile(_ m: FlowUNet, _ title: String) {
            let p = m.opProfile, total = p.values.reduce(0, +)
            print("op profile (\(title)), seconds summed over shards and \(repeats) repetitions:")
            for (k, v) in p.sorted(by: { $0.value > $1.value }) {
                print(String(format: "  %-32@ %8.3f  %5.1f%%", k, v, 100 * v / total))
            }
            m.profiling = false
        }

        private func measure(_ model: FlowUNet, batch: Int, backward: Bool) throws -> Double {
            try modelImagesPerSecond(model, batch: batch, backward: backward, repeats: repeats, profile: profile)
        }
    }

    /// 3×3 convolutions in isolation, im2col against Winograd, at the model's layer shapes.
    struct ConvSpeed: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "conv",
                                                        abstract: "GFLOP/s of the model's 3×3 convolution shapes, im2col vs Winograd, one thread.")
        @Option(help: "Batch size.")
        var batch = 32
        @Option(help: "Timed repetitions; the best is reported.")
        var repeats = 5

        func run() {
            BLAS.threads = 1
            print("GFLOP/s of the direct convolution (each pass 2·N·H·W·9·C·C_out FLOP), im2col / Winograd")
            print("side  in  out        forward   input gradient  weight gradient")
            for (side, ci, co) in [(32, 32, 32), (32, 64, 32), (32, 96, 32), (16, 32, 64), (16, 64, 64), (16, 128, 64),
                                   (16, 192, 64), (8, 64, 128), (8, 128, 128), (8, 256, 128)] {
                let flop = 2.0 * Double(batch * side * side * 9 * ci * co)
                let cells = LayerTiming.ConvPass.allCases.map { pass in
                    let r = [false, true].map { wino in
                        flop / LayerTiming.conv3x3(side: side, inChannels: ci, outChannels: co, batch: batch,
                                                   winograd: wino, pass: pass, repeats: repeats) / 1e9
                    }
                    return String(format: "%6.1f/%-6.1f", r[0], r[1])
                }
                print(String(format: "%4d %3d %4d  ", side, ci, co) + cells.map { "  " + $0 + "  " }.joined())
            }
        }
    }

    /// The machine's sgemm throughput: the peak a GEMM-bound model can approach.
    struct SgemmPeak: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "sgemm",
                                                        abstract: "GFLOP/s of a large square sgemm at 1 and 2 threads.")
        @Option(help: "Matrix side.")
        var size = 2048
        @Option(help: "Thread counts (comma-separated).")
        var threads = "1,2"
        @Flag(help: "Print JSON lines.")
        var json = false

        func run() {
            let n = size
            var s = RandomStream(seed: 2, domain: "sgemm")
            let a = s.gaussians(n * n), b = s.gaussians(n * n)
            var c = [Float](repeating: 0, count: n * n)
            for th in threads.split(separator: ",").compactMap({ Int($0) }) {
                BLAS.threads = th
                var best = Double.infinity
                for _ in 0..<4 {
                    best = min(best, seconds {
                        c.withUnsafeMutableBufferPointer { cp in
                            BLAS.sgemm(.none, .none, m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: cp.baseAddress!, ldc: n)
                        }
                    })
                }
                let gflops = 2 * pow(Double(n), 3) / best / 1e9
                print(json ? "{\"threads\":\(th),\"sgemm_gflops\":\(gflops)}" : String(format: "threads %d: %.1f GFLOP/s", th, gflops))
            }
        }
    }
}

/// Images/s of the model's forward (or forward+backward) pass at `batch`, best of `repeats` after a warm-up, on
/// seeded random inputs; `profile` turns on per-op timing for the timed repetitions.
func modelImagesPerSecond(_ model: FlowUNet, batch: Int, backward: Bool, repeats: Int, profile: Bool = false) throws -> Double {
    var s = RandomStream(seed: 1, domain: "bench")
    let x = s.gaussians(batch * model.sampleSize)
    let t = (0..<batch).map { _ in s.uniform() }
    let tokens = (0..<batch).map { i in [2, 20 + i % 5, 30] }
    let dv = s.gaussians(batch * model.sampleSize)
    _ = try model.velocity(x: x, t: t, tokens: tokens) // warm-up (allocates the workspace)
    if backward { model.backward(dVelocity: dv) }
    model.profiling = profile
    var best = Double.infinity
    for _ in 0..<repeats {
        best = min(best, try seconds {
            _ = try model.velocity(x: x, t: t, tokens: tokens)
            if backward { model.backward(dVelocity: dv) }
        })
    }
    return Double(batch) / best
}
