import Model
import Scenes
@testable import Training

/// A model small enough for loop tests that still makes 32×32 images (the rewards' size) and reads real prompts.
func loopModel(seed: UInt64 = 7) throws -> FlowUNet {
    var c = ModelConfig.tiny
    c.imageSize = 32
    c.channels = [4, 8]
    c.maxTokens = ModelConfig.standard.maxTokens
    c.vocabularySize = ModelConfig.standard.vocabularySize
    return try FlowUNet(config: c, seed: seed, threads: 1)
}

/// A short run on the loop model: 3 prompts × group 4 per step, 4 CPS steps, compressibility as the reward.
func loopConfig() -> RunConfig {
    var c = RunConfig()
    c.name = "loop-test"
    c.seed = 11
    c.steps = 3
    c.model.threads = 1
    c.sampler.steps = 4
    c.group.size = 4
    c.group.promptsPerStep = 3
    c.group.promptsPerShard = 2
    c.rewards = [RewardWeight(name: "compressibility", weight: 1)]
    c.train.lr = 1e-3
    c.train.miniBatches = 2
    // Every step but the last is trained (3 of 4), whatever the shipped default fraction.
    c.train.timestepFraction = 0.99
    c.eval.every = 0
    c.eval.steps = 4
    return c
}

let loopPrompts: [PromptEntry] = [
    PromptEntry(category: .singleObject, prompt: "a circle"),
    PromptEntry(category: .colors, prompt: "a red square"),
    PromptEntry(category: .counting, prompt: "two triangles"),
    PromptEntry(category: .position, prompt: "a circle left of a square"),
    PromptEntry(category: .twoObject, prompt: "a circle and a triangle"),
]
