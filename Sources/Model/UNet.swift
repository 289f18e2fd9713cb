import Dispatch
import NumericCore

/// The flow U-Net, generic over its scalar type (Float for work, Double for gradient checks): parameters and
/// gradients in flat buffers described by the layout table, a graph of ops, and workspaces of activations.
///
/// A batch is split into `shards` contiguous groups of samples that run on separate threads with single-threaded
/// BLAS (data parallelism: no synchronisation per layer); each shard accumulates parameter gradients into its own
/// buffer, summed into `gradients` after the backward pass.
final class UNet<T: GemmScalar>: @unchecked Sendable {
    let config: ModelConfig
    let graph: Graph
    let parameters: UnsafeMutableBufferPointer<T>
    let gradients: UnsafeMutableBufferPointer<T>
    private var workspaces: [Workspace<T>] = []
    /// Winograd-transformed weights of every qualifying convolution, computed once per forward pass (in parallel)
    /// and shared by all shards; `backwardTransformed` holds the transforms the input gradients use, computed at the
    /// first backward pass after a forward pass.
    private let transformed: UnsafeMutablePointer<T>
    private let backwardTransformed: UnsafeMutablePointer<T>
    private var backwardTransformCurrent = false
    private let winogradLayers: [(op: Int, offset: Int, weight: Int, shape: ConvShape)]
    private var shardGradients: [UnsafeMutableBufferPointer<T>] = []
    /// Sample ranges of the last forward pass, one per shard.
    private(set) var lastShards: [Range<Int>] = []
    /// Threads used for a batch (at most one per sample).
    var threads = 1

    init(config: ModelConfig, seed: UInt64) throws {
        try config.validate()
        self.config = config
        graph = UNetBuilder.build(config)
        parameters = .allocate(capacity: graph.layout.count)
        parameters.initialize(repeating: 0)
        gradients = .allocate(capacity: graph.layout.count)
        gradients.initialize(repeating: 0)
        let wl = graph.winogradLayout
        transformed = .allocate(capacity: max(1, wl.total))
        transformed.initialize(repeating: 0, count: max(1, wl.total))
        backwardTransformed = .allocate(capacity: max(1, wl.total))
        backwardTransformed.initialize(repeating: 0, count: max(1, wl.total))
        let ops = graph.ops
        winogradLayers = ops.indices.compactMap { k in
            guard let offset = wl.offsets[k], case let .conv(_, _, wt, _, s) = ops[k] else { return nil }
            return (k, offset, wt, s)
        }
        initialize(seed: seed)
    }

    deinit {
        parameters.deallocate()
        gradients.deallocate()
        transformed.deallocate()
        backwardTransformed.deallocate()
        for g in shardGradients { g.deallocate() }
    }

    /// Draws every parameter from its initialiser with a seeded stream (one stream per tensor).
    func initialize(seed: UInt64) {
        for (k, item) in graph.inits.enumerated() {
            var s = RandomStream(key: StreamKey(seed: seed, domain: "model-init").child(k))
            for i in 0..<item.count {
                let v: Double
                switch item.kind {
                case let .uniform(bound): v = Double(s.uniform(-1, 1)) * bound
                case let .normal(std): v = Double(s.gaussian()) * std
                case let .constant(c): v = c
                }
                parameters[item.offset + i] = T(v)
            }
        }
    }

    /// Values per sample of the input/output (H·W·C, NHWC).
    var sampleSize: Int { config.imageSize * config.imageSize * config.imageChannels }

    /// Total number of samples of the last forward pass.
    var lastBatch: Int { lastShards.last?.upperBound ?? 0 }

    /// Forward pass: x (batch·sampleSize, NHWC), t (batch), token ids (≤ maxTokens per sample; an empty prompt
    /// uses the padding token as its single null token). Writes the velocity to `out` (batch·sampleSize).
    /// Activations stay in the workspaces for `backward`.
    func forward(x: UnsafePointer<T>, t: [T], tokens: [[Int]], out: UnsafeMutablePointer<T>) throws {
        let n = t.count
        guard n > 0, tokens.count == n else { throw ModelError(.badInput, "batch of \(n) timesteps and \(tokens.count) prompts") }
        let l = config.maxTokens
        for (b, ids) in tokens.enumerated() {
            guard ids.count <= l else { throw ModelError(.badInput, "prompt \(b) has \(ids.count) tokens; the model reads \(l)") }
            if let bad = ids.first(where: { $0 < 0 || $0 >= config.vocabularySize }) {
                throw ModelError(.badInput, "token id \(bad) outside the vocabulary of \(config.vocabularySize)")
            }
        }
        let k = max(1, min(threads, n))
        let shards = (0..<k).map { i in (i * n / k)..<((i + 1) * n / k) }
        while workspaces.count < k {
            let ws = Workspace<T>(graph: graph)
            ws.profiling = profiling
            ws.transformed = UnsafePointer(transformed)
            ws.backwardTransformed = UnsafePointer(backwardTransformed)
            workspaces.append(ws)
        }
        transformWinogradWeights(threads: k, forBackward: false)
        backwardTransformCurrent = false
        lastShards = shards
        let size = sampleSize
        let run = { (i: Int) in
            let range = shards[i], ws = self.workspaces[i]
            ws.reserve(batch: range.count)
            ws.value(self.graph.input).update(from: x + range.lowerBound * size, count: range.count * size)
            for (j, b) in range.enumerated() {
                let ids = tokens[b].isEmpty ? [0] : tokens[b]
                for p in 0..<l {
                    ws.ids![j * l + p] = Int32(p < ids.count ? ids[p] : 0)
                    ws.mask![j * l + p] = p < ids.count
                }
                ws.timesteps![j] = t[b]
            }
            ws.forward(parameters: UnsafePointer(self.parameters.baseAddress!), batch: range.count)
            (out + range.lowerBound * size).update(from: ws.value(self.graph.output), count: range.count * size)
        }
        parallel(k, run)
    }

    /// Backward pass of the last forward: accumulates ∂L/∂θ into `gradients` given ∂L/∂v (batch·sampleSize).
    func backward(dVelocity: UnsafePointer<T>) {
        precondition(!lastShards.isEmpty, "backward before forward")
        let k = lastShards.count, count = graph.layout.count
        while shardGradients.count < k - 1 {
            let g = UnsafeMutableBufferPointer<T>.allocate(capacity: count)
            g.initialize(repeating: 0)
            shardGradients.append(g)
        }
        if !backwardTransformCurrent {
            transformWinogradWeights(threads: k, forBackward: true)
            backwardTransformCurrent = true
        }
        let size = sampleSize
        parallel(k) { i in
            let range = self.lastShards[i]
            // Shard 0 accumulates straight into `gradients`; the others into zeroed private buffers.
            let target: UnsafeMutablePointer<T>
            if i == 0 {
                target = self.gradients.baseAddress!
            } else {
                self.shardGradients[i - 1].update(repeating: 0)
                target = self.shardGradients[i - 1].baseAddress!
            }
            self.workspaces[i].backward(parameters: UnsafePointer(self.parameters.baseAddress!), gradients: target,
                                        dOutput: dVelocity + range.lowerBound * size, batch: range.count)
        }
        for i in 1..<max(1, k) {
            Elementwise.axpy(y: gradients.baseAddress!, alpha: 1, x: shardGradients[i - 1].baseAddress!, count: count)
        }
    }

    /// Turns per-op timing on or off in every workspace (and clears it when turning on).
    var profiling = false {
        didSet { for ws in workspaces { ws.profiling = profiling; if profiling { ws.profile = [:] } } }
    }

    /// Seconds per op kind summed over shards (divide by the shard count for wall time).
    var profile: [String: Double] {
        workspaces.reduce(into: [:]) { acc, ws in for (k, v) in ws.profile { acc[k, default: 0] += v } }
    }

    /// Recomputes the forward (or backward) Winograd weights from the current parameters (they may have changed
    /// since the last pass), the layers split over `threads`.
    private func transformWinogradWeights(threads k: Int, forBackward: Bool) {
        let layers = winogradLayers, w = UnsafePointer(parameters.baseAddress!)
        nonisolated(unsafe) let out = forBackward ? backwardTransformed : transformed
        parallel(k) { shard in
            for (j, layer) in layers.enumerated() where j % k == shard {
                Winograd.transformWeights(u: out + layer.offset, weight: w + layer.weight, inC: layer.shape.inChannels,
                                          outC: layer.shape.outChannels, forBackward: forBackward)
            }
        }
    }

    /// Sets every gradient to zero.
    func zeroGradients() { gradients.update(repeating: 0) }

    /// Runs `body(0..<k)` on k threads, each with single-threaded BLAS. (With one shard BLAS is single-threaded
    /// too: `threads` is the model's whole CPU budget, and OpenBLAS's idle workers would otherwise spin.)
    /// OpenBLAS's thread count is process-wide, so it is set and left at 1, never restored: restoring would let one
    /// model's pass finish by switching threads on under another model's pass running at the same time (tests run
    /// concurrently; a policy and its reference share a process), and results would then depend on timing.
    private func parallel(_ k: Int, _ body: @escaping (Int) -> Void) {
        if BLAS.threads != 1 { BLAS.threads = 1 }
        if k == 1 {
            body(0)
            return
        }
        nonisolated(unsafe) let work = body // shards touch disjoint memory; see the class comment
        DispatchQueue.concurrentPerform(iterations: k) { work($0) }
    }
}
