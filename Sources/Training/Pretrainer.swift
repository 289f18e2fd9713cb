import Foundation
import Model
import NumericCore
import Scenes

/// Options of a pre-training run.
public struct PretrainOptions: Sendable, Codable, Equatable {
    public var seed: UInt64 = 0
    public var steps = 6000
    public var batch = 32
    public var learningRate = 5e-4
    public var warmupSteps = 200
    public var decay: LearningRateSchedule.Decay = .cosine
    public var minimumLearningRate = 5e-5
    public var weightDecay = 0.01
    public var gradientClip = 1.0
    public var emaDecay = 0.999
    public var dropout = 0.1
    /// Category mix of the scene stream; nil is `CategoryMix.standard` (what v1 was trained on).
    public var mix: CategoryMix?
    /// Fine-tuning: the canonical prompts of the fixed scenes to train on (fresh layouts each draw) instead of
    /// the random scene stream; nil for pre-training.
    public var scenes: [String]?
    /// Location m of the logit-normal noise levels, t = σ(m + n); nil is 0 (what v1 and v2 were trained with).
    public var timeLocation: Double?
    /// The checkpoint pre-training started from (its data sha256, or path@step), nil for a fresh initialisation.
    public var start: String?
    public init() {}

    /// Where the batches' scenes come from; throws when a fine-tuning prompt does not parse.
    public func sceneSource() throws -> SceneSource {
        guard let scenes else { return .world(mix ?? .standard) }
        return .scenes(try scenes.map { try PromptParser.parse($0) })
    }
}

/// Flow-matching pre-training with AdamW, clipping, warm-up + decay and EMA; resumable from a state checkpoint
/// (parameters, both moments, EMA and step) written atomically every `checkpointEvery` steps.
public final class Pretrainer {
    public let model: FlowUNet
    public let options: PretrainOptions
    public let adam: AdamW
    public let ema: ExponentialMovingAverage
    public private(set) var step = 0
    public let schedule: LearningRateSchedule
    private let source: SceneSource

    /// Starts from `model`'s current weights (fresh for pre-training, a checkpoint's for fine-tuning); throws when
    /// the options' scenes do not parse.
    public init(model: FlowUNet, options: PretrainOptions) throws {
        self.model = model
        self.options = options
        source = try options.sceneSource()
        adam = AdamW(count: model.parameters.count, weightDecay: Float(options.weightDecay))
        ema = ExponentialMovingAverage(copying: UnsafeBufferPointer(model.parameters), decay: Float(options.emaDecay))
        schedule = LearningRateSchedule(peak: options.learningRate, warmupSteps: options.warmupSteps,
                                        totalSteps: options.steps, decay: options.decay,
                                        minimum: options.minimumLearningRate)
    }

    /// One optimizer step; returns (loss, gradient norm, learning rate).
    public func trainStep() throws -> (loss: Double, gradNorm: Float, lr: Double) {
        let b = try PretrainBatch.make(seed: options.seed, step: step, size: options.batch,
                                       imageSize: model.config.imageSize, dropout: options.dropout, source: source,
                                       timeLocation: Float(options.timeLocation ?? 0))
        let (xt, target) = FlowMatching.noised(x0: b.x0, noise: b.noise, t: b.t, sampleSize: model.sampleSize)
        let v = try model.velocity(x: xt, t: b.t, tokens: b.tokens)
        let (loss, grad) = FlowMatching.loss(prediction: v, target: target)
        guard loss.isFinite else { throw ModelError(.badInput, "loss became \(loss) at step \(step)") }
        model.zeroGradients()
        model.backward(dVelocity: grad)
        let norm = clipGradientNorm(model.gradients, maxNorm: Float(options.gradientClip))
        let lr = schedule.rate(at: step)
        adam.update(parameters: model.parameters, gradients: UnsafeBufferPointer(model.gradients), lr: Float(lr))
        ema.update(with: UnsafeBufferPointer(model.parameters))
        step += 1
        return (loss, norm, lr)
    }

    /// Writes the resumable state.
    public func saveState(to path: String) throws {
        let layout = model.layout
        let extra = Checkpoint.tensors(of: UnsafeBufferPointer(adam.m), layout: layout, prefix: "adam.m.")
            + Checkpoint.tensors(of: UnsafeBufferPointer(adam.v), layout: layout, prefix: "adam.v.")
            + Checkpoint.tensors(of: UnsafeBufferPointer(ema.values), layout: layout, prefix: "ema.")
        let opts = String(decoding: try JSONEncoder().encode(options), as: UTF8.self)
        try Checkpoint.save(model, step: step, to: path, extra: extra,
                            metadata: ["flowcps.pretrain.options": opts, "flowcps.adam.step": String(adam.step),
                                       "flowcps.ema.updates": String(ema.updates)])
    }

    /// Restores a state written by `saveState`; the options must be the same run's.
    public func restoreState(from path: String) throws {
        let file = try SafetensorsFile.read(path: path)
        let saved = try Checkpoint.config(of: file, name: path)
        guard saved == model.config else {
            throw ModelError(.badCheckpoint, "\(path): saved for another model config (\(model.config.differences(from: saved).joined(separator: "; ")) — this run's vs the file's); use the same --config or a new --state")
        }
        if let text = file.metadata["flowcps.pretrain.options"],
           let saved = try? JSONDecoder().decode(PretrainOptions.self, from: Data(text.utf8)), saved != options {
            throw ModelError(.badCheckpoint, "\(path): saved with other pretrain options; use them or a new --state")
        }
        let layout = model.layout
        try Checkpoint.fill(model.parameters, layout: layout, from: file, name: path)
        try Checkpoint.fill(adam.m, layout: layout, from: file, prefix: "adam.m.", name: path)
        try Checkpoint.fill(adam.v, layout: layout, from: file, prefix: "adam.v.", name: path)
        try Checkpoint.fill(ema.values, layout: layout, from: file, prefix: "ema.", name: path)
        step = Checkpoint.step(of: file)
        adam.resume(step: Int(file.metadata["flowcps.adam.step"] ?? "") ?? step)
        ema.resume(updates: Int(file.metadata["flowcps.ema.updates"] ?? "") ?? step)
    }

    /// A model holding the EMA weights (what is shipped and sampled).
    public func emaModel() throws -> FlowUNet {
        let m = try FlowUNet(config: model.config, seed: 0, threads: model.threads)
        m.parameters.baseAddress!.update(from: ema.values.baseAddress!, count: ema.values.count)
        return m
    }
}
