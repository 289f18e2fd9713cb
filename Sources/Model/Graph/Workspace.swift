import Dispatch
import NumericCore

/// Activation, gradient and scratch memory for one batch size, allocated once and reused (no allocation per layer
/// call in the steady state), plus the forward and backward executors.
final class Workspace<T: GemmScalar> {
    let graph: Graph
    private(set) var batch = 0
    private var values: [UnsafeMutablePointer<T>] = []
    private var grads: [UnsafeMutablePointer<T>?] = []
    private var col: UnsafeMutablePointer<T>?
    private var dcol: UnsafeMutablePointer<T>?
    private var winograd: UnsafeMutablePointer<T>?
    private var normScratch: UnsafeMutablePointer<T>?
    private var scores: UnsafeMutablePointer<T>?
    private(set) var timesteps: UnsafeMutablePointer<T>?
    private(set) var ids: UnsafeMutablePointer<Int32>?
    private(set) var mask: UnsafeMutablePointer<Bool>?
    /// Seconds spent per op kind ("forward conv", "backward silu", ...) while `profiling` is on.
    var profile: [String: Double] = [:]
    var profiling = false

    /// For each op (by index), the gradient buffers its backward rule is the first to touch in the reverse sweep:
    /// those it can write outright (`overwrite`), and the rest, zeroed just before it runs (so the zeroed memory is
    /// still in cache when accumulated into) instead of zeroing every gradient up front.
    private let zeroBefore: [[Int]]
    private let overwrite: [Set<Int>]

    init(graph: Graph) {
        self.graph = graph
        var touched: Set<Int> = [graph.output]
        var lists = [[Int]](repeating: [], count: graph.ops.count)
        var writes = [Set<Int>](repeating: [], count: graph.ops.count)
        for (k, op) in graph.ops.enumerated().reversed() {
            for b in op.outputs + op.inputs where graph.buffers[b].differentiable && !touched.contains(b) {
                touched.insert(b)
                if op.inputs.contains(b) && op.canOverwriteGradient(of: b) {
                    writes[k].insert(b)
                } else {
                    lists[k].append(b)
                }
            }
        }
        zeroBefore = lists
        overwrite = writes
    }

    deinit { release() }

    private func release() {
        for p in values { p.deallocate() }
        for g in grads { g?.deallocate() }
        col?.deallocate(); dcol?.deallocate(); winograd?.deallocate(); normScratch?.deallocate(); scores?.deallocate()
        timesteps?.deallocate(); ids?.deallocate(); mask?.deallocate()
        values = []; grads = []
    }

    /// Makes room for `batch` samples (reallocating only when the batch grows).
    func reserve(batch: Int) {
        guard batch > self.batch else { return }
        release()
        self.batch = batch
        for spec in graph.buffers {
            let n = spec.perSample * batch
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, n))
            p.initialize(repeating: 0, count: max(1, n))
            values.append(p)
            if spec.differentiable {
                let g = UnsafeMutablePointer<T>.allocate(capacity: max(1, n))
                g.initialize(repeating: 0, count: max(1, n))
                grads.append(g)
            } else {
                grads.append(nil)
            }
        }
        let s = graph.scratchSizes
        col = .allocate(capacity: max(1, s.col))
        dcol = .allocate(capacity: max(1, s.col))
        winograd = .allocate(capacity: max(1, s.winograd))
        normScratch = .allocate(capacity: max(1, s.norm))
        scores = .allocate(capacity: max(1, 2 * s.scores))
        timesteps = .allocate(capacity: batch)
        ids = .allocate(capacity: batch * graph.textLength)
        mask = .allocate(capacity: batch * graph.textLength)
    }

    func value(_ i: Int) -> UnsafeMutablePointer<T> { values[i] }
    func grad(_ i: Int) -> UnsafeMutablePointer<T> { grads[i]! }

    /// Transformed weights of the Winograd layers for the forward pass and for the input gradients (shared by all
    /// workspaces of a model; see `Graph.winogradLayout`).
    var transformed: UnsafePointer<T>?
    var backwardTransformed: UnsafePointer<T>?
    private lazy var transformedOffsets = graph.winogradLayout.offsets

    private func transformed(_ k: Int, backward: Bool = false) -> UnsafePointer<T>? {
        guard let base = backward ? backwardTransformed : transformed, let offset = transformedOffsets[k] else { return nil }
        return base + offset
    }

    /// Runs every op for the first `n` samples.
    func forward(parameters w: UnsafePointer<T>, batch n: Int) {
        for (k, op) in graph.ops.enumerated() { timed("forward " + op.kind) { forward(op, k, w, n) } }
    }

    /// Seeds the output gradient from `dOutput` and runs every op's backward rule in reverse (zeroing each
    /// activation gradient just before its first use), accumulating parameter gradients into `dw`.
    func backward(parameters w: UnsafePointer<T>, gradients dw: UnsafeMutablePointer<T>, dOutput: UnsafePointer<T>,
                  batch n: Int) {
        grad(graph.output).update(from: dOutput, count: graph.buffers[graph.output].perSample * n)
        for (k, op) in graph.ops.enumerated().reversed() {
            timed("backward zero") {
                for b in zeroBefore[k] { grads[b]!.update(repeating: 0, count: graph.buffers[b].perSample * n) }
            }
            timed("backward " + op.kind) { backward(op, k, w, dw, n, overwrite: overwrite[k]) }
        }
    }

    private func timed(_ key: @autoclosure () -> String, _ body: () -> Void) {
        guard profiling else { return body() }
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        profile[key(), default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    }

    private func forward(_ op: Op, _ index: Int, _ w: UnsafePointer<T>, _ n: Int) {
        switch op {
        case let .conv(i, o, wt, b, s0):
            var s = s0
            s.batch = n
            Conv2D.forward(out: value(o), col: col!, inp: value(i), weight: w + wt, bias: w + b, s, winograd: winograd,
                           transformed: transformed(index))
        case let .normAct(i, o, wt, b, st, m, hw, c, g):
            NormActivation.forward(out: value(o), mean: value(st), rstd: value(st) + n * g, inp: value(i),
                                   weight: w + wt, bias: w + b, mod: m.map { UnsafePointer(value($0)) }, batch: n,
                                   hw: hw, channels: c, groups: g)
        case let .layerNorm(i, o, wt, b, st, rows, c):
            LayerNorm.forward(out: value(o), mean: value(st), rstd: value(st) + n * rows, inp: value(i),
                              weight: w + wt, bias: w + b, rows: n * rows, cols: c)
        case let .linear(i, o, wt, b, rows, inDim, outDim):
            Linear.forward(out: value(o), inp: value(i), weight: w + wt, bias: b.map { w + $0 }, rows: n * rows,
                           inDim: inDim, outDim: outDim)
        case let .silu(i, o):
            Activations.siluForward(out: value(o), inp: value(i), count: n * graph.buffers[i].perSample)
        case let .gelu(i, o):
            Activations.geluForward(out: value(o), inp: value(i), count: n * graph.buffers[i].perSample)
        case let .add(a, b, o):
            Elementwise.add(out: value(o), a: value(a), b: value(b), count: n * graph.buffers[o].perSample)
        case let .concat(a, b, o, rows, ca, cb):
            Resample.concatForward(out: value(o), a: value(a), b: value(b), rows: n * rows, ca: ca, cb: cb)
        case let .upsample(i, o, h, wd, c):
            Resample.upsampleForward(out: value(o), inp: value(i), batch: n, height: h, width: wd, channels: c)
        case let .attention(q, k, v, o, p, nq, nk, c, heads, masked):
            Attention.forward(out: value(o), probs: value(p), q: value(q), k: value(k), v: value(v),
                              keyMask: masked ? UnsafePointer(mask!) : nil, batch: n, nq: nq, nk: nk, channels: c,
                              heads: heads)
        case let .tokenEmbed(o, tok, pos, length, dim):
            Embeddings.tokenForward(out: value(o), ids: ids!, tokenTable: w + tok, positionTable: w + pos, batch: n,
                                    length: length, dim: dim)
        case let .timestepEmbed(o, dim):
            Embeddings.timestep(out: value(o), t: timesteps!, batch: n, dim: dim)
        case let .addTable(i, o, table):
            Embeddings.tableForward(out: value(o), inp: value(i), table: w + table, batch: n,
                                    count: graph.buffers[o].perSample)
        case let .maskedMean(i, o, length, dim):
            let x = value(i), y = value(o)
            for b in 0..<n {
                var count = 0
                for l in 0..<length where mask![b * length + l] { count += 1 }
                let inv = 1 / T(max(1, count))
                for j in 0..<dim { y[b * dim + j] = 0 }
                for l in 0..<length where mask![b * length + l] {
                    for j in 0..<dim { y[b * dim + j] += x[(b * length + l) * dim + j] * inv }
                }
            }
        }
    }

    /// One op's backward rule; gradients of the buffers in `overwrite` are written, all others accumulated.
    private func backward(_ op: Op, _ index: Int, _ w: UnsafePointer<T>, _ dw: UnsafeMutablePointer<T>, _ n: Int,
                          overwrite: Set<Int>) {
        switch op {
        case let .conv(i, o, wt, b, s0):
            var s = s0
            s.batch = n
            Conv2D.backward(dinp: grads[i], dweight: dw + wt, dbias: dw + b, col: col!, dcol: dcol!, dout: grad(o),
                            inp: value(i), weight: w + wt, s, winograd: winograd,
                            transformed: transformed(index, backward: true), accumulateInput: !overwrite.contains(i))
        case let .normAct(i, o, wt, b, st, m, hw, c, g):
            NormActivation.backward(dinp: grad(i), dweight: dw + wt, dbias: dw + b, dmod: m.map { grad($0) },
                                    dout: grad(o), inp: value(i), weight: w + wt, bias: w + b,
                                    mod: m.map { UnsafePointer(value($0)) }, mean: value(st), rstd: value(st) + n * g,
                                    batch: n, hw: hw, channels: c, groups: g, scratch: normScratch!,
                                    accumulateInput: !overwrite.contains(i))
        case let .layerNorm(i, o, wt, b, st, rows, c):
            LayerNorm.backward(dinp: grad(i), dweight: dw + wt, dbias: dw + b, dout: grad(o), inp: value(i),
                               weight: w + wt, mean: value(st), rstd: value(st) + n * rows, rows: n * rows, cols: c)
        case let .linear(i, o, wt, b, rows, inDim, outDim):
            Linear.backward(dinp: grads[i], dweight: dw + wt, dbias: b.map { dw + $0 }, dout: grad(o), inp: value(i),
                            weight: w + wt, rows: n * rows, inDim: inDim, outDim: outDim,
                            accumulateInput: !overwrite.contains(i))
        case let .silu(i, o):
            Activations.siluBackward(dinp: grad(i), inp: value(i), dout: grad(o), count: n * graph.buffers[i].perSample)
        case let .gelu(i, o):
            Activations.geluBackward(dinp: grad(i), inp: value(i), dout: grad(o), count: n * graph.buffers[i].perSample)
        case let .add(a, b, o):
            let count = n * graph.buffers[o].perSample
            for target in [a, b] {
                if overwrite.contains(target) {
                    grad(target).update(from: grad(o), count: count)
                } else {
                    Elementwise.axpy(y: grad(target), alpha: 1, x: grad(o), count: count)
                }
            }
        case let .concat(a, b, o, rows, ca, cb):
            Resample.concatBackward(da: grad(a), db: grad(b), dout: grad(o), rows: n * rows, ca: ca, cb: cb,
                                    accumulateA: !overwrite.contains(a), accumulateB: !overwrite.contains(b))
        case let .upsample(i, o, h, wd, c):
            Resample.upsampleBackward(dinp: grad(i), dout: grad(o), batch: n, height: h, width: wd, channels: c)
        case let .attention(q, k, v, o, p, nq, nk, c, heads, _):
            Attention.backward(dq: grad(q), dk: grad(k), dv: grad(v), scratch: scores!, dout: grad(o), probs: value(p),
                               q: value(q), k: value(k), v: value(v), batch: n, nq: nq, nk: nk, channels: c,
                               heads: heads)
        case let .tokenEmbed(o, tok, pos, length, dim):
            Embeddings.tokenBackward(dTokenTable: dw + tok, dPositionTable: dw + pos, dout: grad(o), ids: ids!,
                                     batch: n, length: length, dim: dim)
        case .timestepEmbed:
            break // no parameters, and t needs no gradient
        case let .addTable(i, o, table):
            Embeddings.tableBackward(dinp: grads[i], dTable: dw + table, dout: grad(o), batch: n,
                                     count: graph.buffers[o].perSample, accumulateInput: !overwrite.contains(i))
        case let .maskedMean(i, o, length, dim):
            let dx = grad(i), dy = grad(o)
            for b in 0..<n {
                var count = 0
                for l in 0..<length where mask![b * length + l] { count += 1 }
                let inv = 1 / T(max(1, count))
                for l in 0..<length where mask![b * length + l] {
                    for j in 0..<dim { dx[(b * length + l) * dim + j] += dy[b * dim + j] * inv }
                }
            }
        }
    }
}
