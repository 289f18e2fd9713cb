import Rewards
import Sampling

/// The rewards of one sample: the weighted total and each reward's value by name.
public struct SampleScore: Sendable, Equatable {
    public var key: SampleKey
    public var total: Double
    /// (name, value) in the config's order.
    public var rewards: [NamedValue]

    public init(key: SampleKey, total: Double, rewards: [NamedValue]) {
        self.key = key
        self.total = total
        self.rewards = rewards
    }
}

/// A named number (a reward or a metric).
public struct NamedValue: Sendable, Equatable, Hashable {
    public var name: String
    public var value: Double
    public init(name: String, value: Double) {
        self.name = name
        self.value = value
    }
}

/// Stage `score`: every sample's rewards by name and their weighted total.
public enum ScoreStage {
    public static func run(images: [RolloutImage], rewards: WeightedRewards) throws -> [SampleScore] {
        try images.map { s in
            let c = try rewards.score(image: s.image, prompt: s.prompt)
            return SampleScore(key: s.key, total: c.total,
                               rewards: c.rewards.map { NamedValue(name: $0.name, value: $0.score.value) })
        }
    }
}
