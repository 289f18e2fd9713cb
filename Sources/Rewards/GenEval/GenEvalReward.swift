import Scenes

/// `geneval`: compositional correctness of object prompts (Flow-GRPO's GenEval reward on the shapes world).
/// Value: the partial-credit score; details: `strict`, `accuracy` (0 or 1) and `objects` (detections).
public struct GenEvalReward: Reward {
    public init() {}

    public var name: String { "geneval" }
    /// A count term is 1 − |n − found|/n with up to 16 found objects, so the score is at least −14.
    public var range: ClosedRange<Double> { -14...1 }

    public func unsupported(_ spec: SceneSpec) -> String? {
        if case .objects = spec { return nil }
        return "geneval scores object prompts only, not text prompts"
    }

    public func score(_ input: RewardInput) throws -> RewardScore {
        let requirements = try GenEvalRequirements(input.spec)
        let detected = Detector.detect(input.image)
        let v = GenEvalScorer.verdict(requirements, detected: detected)
        return RewardScore(value: v.score, details: ["strict": v.strict ? 1 : 0, "accuracy": v.accuracy ? 1 : 0,
                                                     "objects": Double(detected.count)])
    }

    /// The full verdict, with the reasons strict accuracy failed.
    public func verdict(_ input: RewardInput) throws -> GenEvalVerdict {
        let requirements = try GenEvalRequirements(input.spec)
        return GenEvalScorer.verdict(requirements, detected: Detector.detect(input.image))
    }
}
