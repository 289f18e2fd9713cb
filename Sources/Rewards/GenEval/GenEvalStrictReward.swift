import Scenes

/// `geneval_strict`: 1 when every clause of an object prompt holds (GenEval's strict accuracy, the number the
/// evaluation reports), else 0. The same detector and rules as `geneval`; combine the two
/// (`geneval=1,geneval_strict=1`) to keep the partial-credit signal and reward exact correctness on top of it.
public struct GenEvalStrictReward: Reward {
    public init() {}

    public var name: String { "geneval_strict" }
    public var range: ClosedRange<Double> { 0...1 }

    public func unsupported(_ spec: SceneSpec) -> String? {
        if case .objects = spec { return nil }
        return "geneval_strict scores object prompts only, not text prompts"
    }

    public func score(_ input: RewardInput) throws -> RewardScore {
        let v = try GenEvalReward().verdict(input)
        return RewardScore(value: v.strict ? 1 : 0, details: ["score": v.score])
    }
}
