import NumericCore
import Scenes

/// One prompt of an RL step: its group index in the step (`SampleKey.prompt`), its line in the train set, its text.
public struct PlannedPrompt: Sendable, Equatable, Hashable {
    public var index: Int
    public var line: Int
    public var prompt: String

    public init(index: Int, line: Int, prompt: String) {
        self.index = index
        self.line = line
        self.prompt = prompt
    }
}

/// The prompts of one rollout job: whole groups, so a group's samples are generated together.
public struct RolloutShard: Sendable, Equatable {
    public var index: Int
    public var prompts: [PlannedPrompt]
}

/// The output of `plan`: the step's prompts and their rollout shards.
public struct StepPlan: Sendable, Equatable {
    public var step: Int
    public var prompts: [PlannedPrompt]
    public var shards: [RolloutShard]
}

/// Stage `plan`: chooses the step's prompts from the train set by a seeded epoch permutation (every prompt once per
/// epoch, a fresh order per epoch, like Flow-GRPO's repeat sampler) and splits them into shards of whole groups.
public enum PlanStage {
    /// Prompts `step·P ..< (step+1)·P` of the endless sequence of epoch permutations (P = prompts per step).
    public static func run(step: Int, config: RunConfig, trainSet: [PromptEntry]) throws -> StepPlan {
        guard step >= 0 else { throw ConfigError(field: "step", "must be ≥ 0, got \(step)") }
        guard !trainSet.isEmpty else { throw ConfigError(field: "prompts.train", "the train prompt set is empty") }
        let n = trainSet.count, perStep = config.group.promptsPerStep
        var permutations: [Int: [Int]] = [:]
        var prompts: [PlannedPrompt] = []
        for i in 0..<perStep {
            let position = step * perStep + i
            let epoch = position / n
            if permutations[epoch] == nil { permutations[epoch] = epochOrder(epoch, count: n, seed: config.seed) }
            let line = permutations[epoch]![position % n]
            prompts.append(PlannedPrompt(index: i, line: line, prompt: trainSet[line].prompt))
        }
        let size = config.group.promptsPerShard
        let shards = stride(from: 0, to: perStep, by: size).enumerated().map { k, start in
            RolloutShard(index: k, prompts: Array(prompts[start..<min(perStep, start + size)]))
        }
        return StepPlan(step: step, prompts: prompts, shards: shards)
    }

    /// The order of the train set's lines in `epoch`.
    public static func epochOrder(_ epoch: Int, count: Int, seed: UInt64) -> [Int] {
        var order = Array(0..<count)
        var stream = RandomStream(key: StreamKey(seed: seed, domain: "epoch-order").child(epoch))
        stream.shuffle(&order)
        return order
    }
}
