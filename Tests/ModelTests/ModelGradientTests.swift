import NumericCore
import Testing
@testable import Model

/// The whole model's backward against double-precision finite differences on the tiny config, every parameter
/// tensor checked element by element (max relative error ≤ 1e-3 per tensor).
struct ModelGradientTests {
    /// Activation gradients are reused between backward passes (zeroed or overwritten lazily): a pass after
    /// another batch's pass must give exactly what a fresh model gives, at every shard count.
    @Test(arguments: [1, 2])
    func backwardDoesNotLeakGradientsBetweenPasses(threads: Int) throws {
        var config = ModelConfig.tiny
        config.imageSize = 16
        config.channels = [8, 16]
        config.groups = 4
        let used = try UNet<Float>(config: config, seed: 5), fresh = try UNet<Float>(config: config, seed: 5)
        var rng = RandomStream(seed: 6, domain: "leak-test")
        // Random values everywhere (zero-initialised output layers would make every activation gradient zero).
        let theta = rng.gaussians(used.parameters.count).map { $0 * 0.3 }
        for m in [used, fresh] {
            m.threads = threads
            for i in theta.indices { m.parameters[i] = theta[i] }
        }
        let n = 3, size = used.sampleSize
        let x1 = rng.gaussians(n * size), d1 = rng.gaussians(n * size)
        let x2 = rng.gaussians(n * size), d2 = rng.gaussians(n * size)
        var v = [Float](repeating: 0, count: n * size)
        try used.forward(x: x1, t: [0.2, 0.5, 0.9], tokens: [[1, 2], [3], []], out: &v)
        used.backward(dVelocity: d1)
        used.zeroGradients()
        for m in [used, fresh] {
            try m.forward(x: x2, t: [0.7, 0.1, 0.4], tokens: [[4], [], [2, 3, 1]], out: &v)
            m.backward(dVelocity: d2)
        }
        #expect(Array(used.gradients) == Array(fresh.gradients))
    }

    @Test(arguments: [ModelConfig.tiny, ModelConfig.tinyV2])
    func everyParameterTensorMatchesFiniteDifferences(config: ModelConfig) throws {
        let model = try UNet<Double>(config: config, seed: 1)
        // Random values everywhere, so the zero-initialised branches carry gradient too.
        let theta = randoms(model.parameters.count, seed: 2, scale: 0.3)
        for i in theta.indices { model.parameters[i] = theta[i] }
        let n = 2, size = model.sampleSize
        let x = randoms(n * size, seed: 3), dout = randoms(n * size, seed: 4)
        let t: [Double] = [0.3, 0.85], tokens = [[1, 4, 2], []]
        var v = [Double](repeating: 0, count: n * size)
        func loss() throws -> Double {
            try model.forward(x: x, t: t, tokens: tokens, out: &v)
            return (0..<(n * size)).reduce(0) { $0 + v[$1] * dout[$1] }
        }
        _ = try loss()
        model.zeroGradients()
        model.backward(dVelocity: dout)
        let analytic = Array(model.gradients)
        var worst = (0.0, "")
        for entry in model.graph.layout.entries {
            var numeric: [Double] = []
            for i in entry.offset..<(entry.offset + entry.count) {
                let keep = model.parameters[i], h = 1e-6
                model.parameters[i] = keep + h
                let lp = try loss()
                model.parameters[i] = keep - h
                let lm = try loss()
                model.parameters[i] = keep
                numeric.append((lp - lm) / (2 * h))
            }
            let err = relativeError(Array(analytic[entry.offset..<(entry.offset + entry.count)]), numeric)
            if err > worst.0 { worst = (err, entry.name) }
            #expect(err < 1e-3, "\(entry.name): relative error \(err)")
            #expect(numeric.contains { $0 != 0 } || entry.name.hasPrefix("text.token_embedding"), "\(entry.name) has no gradient")
        }
        #expect(worst.0 < 1e-3, "worst \(worst)")
    }

    /// The tiny model at 8 px, and at 32 px with the v2 additions (the Winograd path and cross-attention at 32 px).
    static var threadConfigs: [ModelConfig] {
        var wide = ModelConfig.tinyV2
        wide.imageSize = 32
        return [.tiny, wide]
    }

    @Test(arguments: threadConfigs, [5, 6, 3])
    func threadsDoNotChangeResults(config: ModelConfig, n: Int) throws {
        let a = try FlowUNet(config: config, seed: 3, threads: 1), b = try FlowUNet(config: config, seed: 3, threads: 2)
        let x = randoms(n * a.sampleSize, seed: 5).map { Float($0) }, dv = randoms(n * a.sampleSize, seed: 6).map { Float($0) }
        let t: [Float] = Array([0.1, 0.4, 0.5, 0.9, 1, 0.7].prefix(n))
        let tokens = Array([[1], [2, 3], [], [4, 4, 4, 4], [5], [6, 1]].prefix(n))
        let va = try a.velocity(x: x, t: t, tokens: tokens), vb = try b.velocity(x: x, t: t, tokens: tokens)
        #expect(va == vb)
        a.backward(dVelocity: dv)
        b.backward(dVelocity: dv)
        let ga = Array(a.gradients), gb = Array(b.gradients)
        // Shard sums reassociate additions: equal to float rounding.
        let scale = ga.map { abs($0) }.max()!
        #expect(zip(ga, gb).allSatisfy { abs($0 - $1) <= 1e-5 * scale })
    }

    @Test func layoutCoversEveryParameterOnceAndStandardSizeIsAsDesigned() throws {
        let g = UNetBuilder.build(.standard)
        var covered = [Bool](repeating: false, count: g.layout.count)
        for e in g.layout.entries { for i in e.offset..<(e.offset + e.count) { #expect(!covered[i]); covered[i] = true } }
        #expect(covered.allSatisfy { $0 })
        #expect((3_000_000...5_000_000).contains(g.layout.count), "\(g.layout.count) parameters")
    }

    @Test func badInputsAreErrors() throws {
        let model = try FlowUNet(config: .tiny, seed: 1)
        let x = [Float](repeating: 0, count: model.sampleSize)
        #expect(throws: ModelError.self) { _ = try model.velocity(x: x, t: [0.5], tokens: [[1, 2, 3, 4, 5]]) }
        #expect(throws: ModelError.self) { _ = try model.velocity(x: x, t: [0.5], tokens: [[99]]) }
        #expect(throws: ModelError.self) { _ = try model.velocity(x: x, t: [0.5], tokens: []) }
        #expect(throws: ModelError.self) { _ = try model.velocity(x: x + x, t: [0.5], tokens: [[1]]) }
        var bad = ModelConfig.tiny
        bad.groups = 3
        #expect { _ = try UNet<Float>(config: bad, seed: 1) } throws: { ($0 as? ModelError)?.message.contains("groups") == true }
    }
}
