import Foundation
import Model
import Training

/// Run files small enough for tests that drive the real pipeline: shared by the pipeline and dashboard tests.
public enum TinyRun {
    /// A run of one step on a tiny 32 px model: 2 prompts × 2 samples in 2 rollout shards, 3-step CPS, evaluated at
    /// 0 and 1 on 2 prompts. Writes its base model and prompt sets into `dir`.
    public static func config(_ dir: String, name: String = "tiny") throws -> RunConfig {
        var m = ModelConfig.tiny
        m.imageSize = 32
        m.maxTokens = 12
        m.vocabularySize = 80
        try Checkpoint.save(try FlowUNet(config: m, seed: 4, threads: 1), step: 0, to: dir + "/base.safetensors")
        try "single_object\ta circle\ncolors\ta red square\n".write(toFile: dir + "/train.txt", atomically: true, encoding: .utf8)
        try "single_object\ta square\ncounting\ttwo circles\n".write(toFile: dir + "/eval.txt", atomically: true, encoding: .utf8)
        var c = RunConfig()
        c.name = name
        c.steps = 1
        c.model.base = dir + "/base.safetensors"
        c.model.threads = 1
        c.prompts.train = dir + "/train.txt"
        c.prompts.eval = dir + "/eval.txt"
        c.sampler.steps = 3
        c.group.size = 2
        c.group.promptsPerStep = 2
        c.group.promptsPerShard = 1
        c.eval.every = 1
        c.eval.steps = 4
        return c
    }
}
