/// The built-in rewards by name.
public enum RewardRegistry {
    /// Every built-in reward.
    public static let all: [any Reward] = [GenEvalReward(), GenEvalStrictReward(), OCRReward(), CompressibilityReward(),
                                           AestheticReward(), NoiseMetric()]

    /// Names of the built-in rewards.
    public static var names: [String] { all.map(\.name) }

    /// The reward called `name`.
    public static func reward(named name: String) throws -> any Reward {
        guard let r = all.first(where: { $0.name == name }) else {
            throw RewardError(.badSpecification,
                              "unknown reward \"\(name)\"; known rewards: \(names.joined(separator: ", "))")
        }
        return r
    }
}
