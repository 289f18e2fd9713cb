import Foundation
import Model
import NumericCore

/// The trained policy with its optimizer state: parameters, AdamW moments, the optional EMA and the number of
/// completed RL steps. `train` takes it in and leaves the next state; checkpoints hold all of it, so a run resumes
/// bit for bit.
public final class PolicyState {
    public let model: FlowUNet
    public let adam: AdamW
    /// The EMA of the weights (nil when the run keeps none).
    public let ema: ExponentialMovingAverage?
    /// RL steps trained so far.
    public var completedSteps = 0

    /// A fresh state starting at `base`'s weights.
    public init(base: FlowUNet, config: RunConfig) throws {
        model = try FlowUNet(config: base.config, seed: 0, threads: config.model.threads)
        model.copyParameters(from: base)
        adam = AdamW(count: model.parameters.count, weightDecay: Float(config.train.weightDecay))
        adam.epsilon = Float(config.train.adamEpsilon)
        ema = config.ema.enabled
            ? ExponentialMovingAverage(copying: UnsafeBufferPointer(model.parameters), decay: Float(config.ema.decay)) : nil
    }

    /// The weights evaluation and saving use: the EMA if kept, else the policy.
    public func evaluationModel() throws -> FlowUNet {
        guard let ema else { return model }
        let m = try FlowUNet(config: model.config, seed: 0, threads: model.threads)
        m.parameters.baseAddress!.update(from: ema.values.baseAddress!, count: ema.values.count)
        return m
    }

    /// Writes the full state (safetensors: parameters, `adam.m.*`, `adam.v.*`, `ema.*`; metadata: steps and the
    /// run's identity, `config.fingerprint`).
    public func save(to path: String, config: RunConfig) throws {
        try file(identity: config.fingerprint).write(path: path)
    }

    /// The full state as safetensors bytes for a database row (the database keeps and verifies their sha256),
    /// stamped with `identity`: the fingerprint the run was stored with when it was submitted, whichever build
    /// computed it (so a newer worker continues a run an older one started).
    public func serialized(identity: String) throws -> [UInt8] {
        try file(identity: identity).serialized()
    }

    func file(identity: String) throws -> SafetensorsFile {
        let layout = model.layout
        var extra = Checkpoint.tensors(of: UnsafeBufferPointer(adam.m), layout: layout, prefix: "adam.m.")
            + Checkpoint.tensors(of: UnsafeBufferPointer(adam.v), layout: layout, prefix: "adam.v.")
        if let ema { extra += Checkpoint.tensors(of: UnsafeBufferPointer(ema.values), layout: layout, prefix: "ema.") }
        return try Checkpoint.file(model, step: completedSteps, extra: extra,
                                   metadata: ["flowcps.rl.config": identity,
                                       "flowcps.adam.step": String(adam.step),
                                       "flowcps.ema.updates": String(ema?.updates ?? 0)])
    }

    /// Restores a state written by `save` for the same run configuration.
    public func restore(from path: String, config: RunConfig) throws {
        let file = try SafetensorsFile.read(path: path)
        // States written before the canonical identity carry the digest of the config's printed form.
        let identity = file.metadata["flowcps.rl.config"] == config.legacyFingerprint ? config.legacyFingerprint : config.fingerprint
        try restore(file: file, name: path, identity: identity,
                    mismatch: "saved by a run with another configuration; use that configuration or a new output folder")
    }

    /// Restores a state from bytes written by `serialized(identity:)` for the same run identity; `name` labels
    /// errors.
    public func restore(bytes: [UInt8], name: String, identity: String) throws {
        try restore(file: try SafetensorsFile.parse(bytes, name: name), name: name, identity: identity,
                    mismatch: "saved by another run (its identity differs from the run's stored fingerprint)")
    }

    func restore(file: SafetensorsFile, name path: String, identity: String, mismatch: String) throws {
        guard try Checkpoint.config(of: file, name: path) == model.config else {
            throw ModelError(.badCheckpoint, "\(path): saved for another model config")
        }
        guard file.metadata["flowcps.rl.config"] == identity else {
            throw ModelError(.badCheckpoint, "\(path): \(mismatch)")
        }
        let layout = model.layout
        try Checkpoint.fill(model.parameters, layout: layout, from: file, name: path)
        try Checkpoint.fill(adam.m, layout: layout, from: file, prefix: "adam.m.", name: path)
        try Checkpoint.fill(adam.v, layout: layout, from: file, prefix: "adam.v.", name: path)
        if let ema {
            try Checkpoint.fill(ema.values, layout: layout, from: file, prefix: "ema.", name: path)
            ema.resume(updates: Int(file.metadata["flowcps.ema.updates"] ?? "") ?? 0)
        }
        adam.resume(step: Int(file.metadata["flowcps.adam.step"] ?? "") ?? 0)
        completedSteps = Checkpoint.step(of: file)
    }
}

extension RunConfig {
    /// The run's identity: a digest of the canonical form of every field that shapes the trained weights, i.e. all
    /// but `name`, `steps` (a run with a constant learning rate may be extended), the eval options and
    /// `checkpoint_every`. `model.threads` counts: it fixes the order of the gradient sums.
    ///
    /// The canonical form (format `flowcps.run/2`) lists, sorted, `path=value` for each field whose value differs
    /// from its default. A field added by a later build, at its default, therefore leaves every existing identity
    /// unchanged. The pipeline computes it once, at submit, stores it with the run, and from then on compares
    /// checkpoints against the stored value only, so builds that compute it differently still continue each
    /// other's runs.
    public var fingerprint: String {
        SHA256.hex(Array(canonicalForm.utf8))
    }

    /// The identity of format 1 (builds before the canonical form): a digest of the printed config, which every
    /// added field changed. Accepted when resuming a `flowcps rl` output folder written by such a build.
    public var legacyFingerprint: String {
        var c = self
        c.name = ""
        if c.train.schedule == .constant { c.steps = 0 }
        c.eval = EvalSection()
        c.checkpointEvery = 0
        return SHA256.hex(Array(String(describing: c).utf8))
    }

    /// The text `fingerprint` digests (see there).
    public var canonicalForm: String {
        var c = self
        let defaults = RunConfig()
        c.name = defaults.name
        if c.train.schedule == .constant { c.steps = defaults.steps }
        c.eval = defaults.eval
        c.checkpointEvery = defaults.checkpointEvery
        let reference = Dictionary(CanonicalFields.leaves(of: defaults), uniquingKeysWith: { a, _ in a })
        let lines = CanonicalFields.leaves(of: c).filter { reference[$0.0] != $0.1 }.map { "\($0.0)=\($0.1)" }.sorted()
        return (["flowcps.run/2"] + lines).joined(separator: "\n")
    }
}

/// Flattens a value into (dotted path, printed value) leaves by reflection: structs and tuples by field name,
/// collections by index with a `count` leaf, everything else (numbers, strings, enums, optionals, ranges) printed.
enum CanonicalFields {
    static func leaves(of value: Any, path: String = "") -> [(String, String)] {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .struct?, .class?, .tuple?:
            guard !mirror.children.isEmpty, !(value is Range<Int>) else { return [(path, "\(value)")] }
            return mirror.children.enumerated().flatMap { i, child in
                leaves(of: child.value, path: join(path, child.label ?? "\(i)"))
            }
        case .collection?:
            return [(join(path, "count"), "\(mirror.children.count)")]
                + mirror.children.enumerated().flatMap { i, child in leaves(of: child.value, path: join(path, "\(i)")) }
        default:
            return [(path, "\(value)")]
        }
    }

    private static func join(_ a: String, _ b: String) -> String { a.isEmpty ? b : a + "." + b }
}
