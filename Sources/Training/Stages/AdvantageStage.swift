import GRPO
import Sampling

/// The advantages of one RL step, aligned with the scores given, and the step's reward statistics.
public struct StepAdvantages: Sendable, Equatable {
    public var keys: [SampleKey]
    public var advantages: [Double]
    public var batch: AdvantageBatch

    /// The advantage of the sample with `key`.
    public func advantage(of key: SampleKey) -> Double? {
        keys.firstIndex(of: key).map { advantages[$0] }
    }
}

/// Stage `advantage`: group-relative advantages over all of a step's scores, grouped by prompt index (docs/algorithms.md
/// §3.1 `PerPromptStatTracker`, cleared every step).
public enum AdvantageStage {
    public static func run(scores: [SampleScore], config: RunConfig) throws -> StepAdvantages {
        let batch = try GroupAdvantages.compute(rewards: scores.map(\.total), groups: scores.map(\.key.prompt),
                                                options: AdvantageOptions(scale: config.advantage.std))
        return StepAdvantages(keys: scores.map(\.key), advantages: batch.advantages, batch: batch)
    }
}
