import Model
import Store
import Training

/// Checkpoints a worker has loaded, by sha256: a worker that runs step k's rollouts, then its train stage, then
/// step k+1's rollouts fetches each checkpoint once. Bytes are checked against their stored hash on every fetch.
final class CheckpointCache {
    private var models: [(hash: String, model: FlowUNet)] = []
    private let capacity: Int

    init(capacity: Int = 3) {
        self.capacity = capacity
    }

    /// The weights of (run, step, kind) as a model using `threads` threads.
    func model(_ c: Connection, run: RunContext, step: Int, kind: CheckpointKind, threads: Int) throws -> FlowUNet {
        guard let row = try c.execute(CheckpointStatements.hash(runID: run.id, step: step, kind: kind)).single() else {
            throw PipelineError.invalid("run \(run.name): no \(kind) checkpoint at step \(step)")
        }
        let hash = try row.string("sha256")
        if let hit = models.firstIndex(where: { $0.hash == hash }) {
            let m = models.remove(at: hit)
            models.append(m)
            m.model.threads = threads
            return m.model
        }
        let bytes = try CheckpointCache.fetch(c, run: run, step: step, kind: kind)
        let model: FlowUNet
        do { model = try Checkpoint.load(bytes: bytes, name: "\(run.name) \(kind)@\(step)", threads: threads).model } catch let e as ModelError {
            throw PipelineError.corrupt(e.message)
        }
        remember(model, hash: hash)
        return model
    }

    /// Adds weights this worker has just written (stored with `hash`), so the next stage need not fetch them.
    func remember(_ model: FlowUNet, hash: String) {
        models.removeAll { $0.hash == hash }
        models.append((hash, model))
        if models.count > capacity { models.removeFirst() }
    }

    /// The bytes of a checkpoint, verified against the sha256 written with them.
    static func fetch(_ c: Connection, run: RunContext, step: Int, kind: CheckpointKind) throws -> [UInt8] {
        guard let row = try c.execute(CheckpointStatements.fetch(runID: run.id, step: step, kind: kind)).single() else {
            throw PipelineError.invalid("run \(run.name): no \(kind) checkpoint at step \(step)")
        }
        let stored = try row.string("sha256"), actual = try row.string("actual")
        guard stored == actual else {
            throw PipelineError.corrupt("run \(run.name): \(kind) checkpoint at step \(step) has sha256 \(actual.prefix(12))…, "
                                        + "written as \(stored.prefix(12))…")
        }
        return try row.bytes("data")
    }
}
