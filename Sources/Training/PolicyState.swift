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
    /// config fingerprint).
    public func save(to path: String, config: RunConfig) throws {
        try file(config: config).write(path: path)
    }

    /// The full state as safetensors bytes for a database row (the database keeps and verifies their sha256).
    public func serialized(config: RunConfig) throws -> [UInt8] {
        try file(config: config).serialized()
    }

    func file(config: RunConfig) throws -> SafetensorsFile {
        let layout = model.layout
        var extra = Checkpoint.tensors(of: UnsafeBufferPointer(adam.m), layout: layout, prefix: "adam.m.")
            + Checkpoint.tensors(of: UnsafeBufferPointer(adam.v), layout: layout, prefix: "adam.v.")
        if let ema { extra += Checkpoint.tensors(of: UnsafeBufferPointer(ema.values), layout: layout, prefix: "ema.") }
        return try Checkpoint.file(model, step: completedSteps, extra: extra,
                                   metadata: ["flowcps.rl.config": config.fingerprint,
                                       "flowcps.adam.step": String(adam.step),
                                       "flowcps.ema.updates": String(ema?.updates ?? 0)])
    }

    /// Restores a state written by `save` for the same run configuration.
    public func restore(from path: String, config: RunConfig) throws {
        try restore(file: try SafetensorsFile.read(path: path), name: path, config: config)
    }

    /// Restores a state from bytes written by `serialized`; `name` labels errors.
    public func restore(bytes: [UInt8], name: String, config: RunConfig) throws {
        try restore(file: try SafetensorsFile.parse(bytes, name: name), name: name, config: config)
    }

    func restore(file: SafetensorsFile, name path: String, config: RunConfig) throws {
        guard try Checkpoint.config(of: file, name: path) == model.config else {
            throw ModelError(.badCheckpoint, "\(path): saved for another model config")
        }
        guard file.metadata["flowcps.rl.config"] == config.fingerprint else {
            throw ModelError(.badCheckpoint, "\(path): saved by a run with another configuration; use that configuration or a new output folder")
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
    /// A digest of every field that shapes the trained weights: all but `name`, `steps` (a run with a constant learning rate may be extended), the
    /// eval options and `checkpoint_every`. `model.threads` counts: it fixes the order of the gradient sums.
    public var fingerprint: String {
        var c = self
        c.name = ""
        if c.train.schedule == .constant { c.steps = 0 }
        c.eval = EvalSection()
        c.checkpointEvery = 0
        return SHA256.hex(Array(String(describing: c).utf8))
    }
}
