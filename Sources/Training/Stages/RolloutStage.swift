import Imaging
import Model
import Sampling
import Scenes

/// A rollout's image as the rewards see it: the key (its seeds), the prompt line and text, and the image.
public struct RolloutImage: Sendable, Equatable {
    public var key: SampleKey
    public var line: Int
    public var prompt: String
    public var image: RGBImage

    public init(key: SampleKey, line: Int, prompt: String, image: RGBImage) {
        self.key = key
        self.line = line
        self.prompt = prompt
        self.image = image
    }
}

/// A rollout's chain as training needs it: the key, the prompt, every state x_0 … x_N and the rollout policy's
/// log-probability of each step (nil for deterministic steps).
public struct RolloutTrajectory: Sendable, Equatable {
    public var key: SampleKey
    public var prompt: String
    /// N + 1 states (NHWC floats); the last is the image.
    public var states: [[Float]]
    public var logProbs: [Double?]

    public init(key: SampleKey, prompt: String, states: [[Float]], logProbs: [Double?]) {
        self.key = key
        self.prompt = prompt
        self.states = states
        self.logProbs = logProbs
    }
}

/// One rollout sample as the rollout stage makes it: both what the rewards see and what training needs.
public struct RolloutSample: Sendable, Equatable {
    public var key: SampleKey
    public var line: Int
    public var prompt: String
    /// N + 1 states (NHWC floats); the last is the image.
    public var states: [[Float]]
    public var logProbs: [Double?]
    public var image: RGBImage

    public init(key: SampleKey, line: Int, prompt: String, states: [[Float]], logProbs: [Double?], image: RGBImage) {
        self.key = key
        self.line = line
        self.prompt = prompt
        self.states = states
        self.logProbs = logProbs
        self.image = image
    }

    /// The part the rewards see.
    public var rewardInput: RolloutImage { RolloutImage(key: key, line: line, prompt: prompt, image: image) }

    /// The part training needs.
    public var trajectory: RolloutTrajectory {
        RolloutTrajectory(key: key, prompt: prompt, states: states, logProbs: logProbs)
    }
}

/// Stage `rollout`: G samples per prompt of a shard with the run's training sampler, one batch through the model.
public enum RolloutStage {
    /// Samples of `shard` at RL step `step`, keyed (run seed, step, prompt index, sample index).
    public static func run(policy: FlowUNet, shard: RolloutShard, step: Int, config: RunConfig) throws -> [RolloutSample] {
        let sampler = try config.samplerConfig()
        let g = config.group.size
        var keys: [SampleKey] = [], tokens: [[Int]] = [], owners: [PlannedPrompt] = []
        for p in shard.prompts {
            let t = try Tokenizer.encode(p.prompt)
            for j in 0..<g {
                keys.append(SampleKey(seed: config.seed, step: step, prompt: p.index, sample: j))
                tokens.append(t)
                owners.append(p)
            }
        }
        let field = ModelVelocity.function(model: policy, tokens: tokens, guidance: config.sampler.guidance)
        let trajectories = try Rollout.run(velocity: field, keys: keys, dimension: policy.sampleSize, config: sampler)
        let side = policy.config.imageSize
        return zip(trajectories, owners).map { t, p in
            RolloutSample(key: t.key, line: p.line, prompt: p.prompt, states: t.states, logProbs: t.logProbs,
                          image: RGBImage(width: side, height: side, interleavedFloats: t.final))
        }
    }
}
