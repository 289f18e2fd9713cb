import Foundation

/// How often each prompt category appears in pre-training data: integer weights, one per category (the weights'
/// sum is the denominator). Written and parsed as `single_object=2,two_object=2,…`.
public struct CategoryMix: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Weights in `PromptCategory.allCases` order.
    public private(set) var weights: [Int]

    /// The v1 mix (the shipped `shapes-base-v1` was trained on it): position and colour binding 3/16 each, text
    /// 2/16, the rest 2/16 each.
    public static let standard = CategoryMix(uncheckedWeights: [2, 2, 2, 2, 3, 3, 2])

    /// The v2 mix: the skills v1 could not draw (relations, colour binding, text) get 5/20 each.
    public static let v2 = CategoryMix(uncheckedWeights: [1, 1, 2, 1, 5, 5, 5])

    private init(uncheckedWeights: [Int]) { weights = uncheckedWeights }

    /// A mix from weights in `PromptCategory.allCases` order; each weight in 0…100, at least one positive.
    public init(weights: [Int]) throws {
        guard weights.count == PromptCategory.allCases.count else {
            throw PromptError(.grammar, "a category mix needs \(PromptCategory.allCases.count) weights, got \(weights.count)")
        }
        guard weights.allSatisfy({ (0...100).contains($0) }), weights.contains(where: { $0 > 0 }) else {
            throw PromptError(.grammar, "category weights must be integers in 0…100, at least one positive")
        }
        self.weights = weights
    }

    /// Parses `standard`, `v2`, or `name=weight,…` (categories not named keep weight 0).
    public init(parsing text: String) throws {
        switch text {
        case "standard": self = .standard
        case "v2": self = .v2
        default:
            var w = [Int](repeating: 0, count: PromptCategory.allCases.count)
            for item in text.split(separator: ",", omittingEmptySubsequences: false) {
                let parts = item.split(separator: "=", omittingEmptySubsequences: false)
                guard parts.count == 2, let c = PromptCategory(rawValue: parts[0].trimmingCharacters(in: .whitespaces)),
                      let value = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
                    throw PromptError(.grammar, "category mix \"\(text)\": expected standard, v2 or category=weight,… with categories \(PromptCategory.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                w[PromptCategory.allCases.firstIndex(of: c)!] = value
            }
            try self.init(weights: w)
        }
    }

    /// The category that `pick` (uniform in 0..<total) falls on.
    public func category(at pick: Int) -> PromptCategory {
        var rest = pick
        for (c, w) in zip(PromptCategory.allCases, weights) {
            if rest < w { return c }
            rest -= w
        }
        return PromptCategory.allCases.last!
    }

    /// Sum of the weights.
    public var total: Int { weights.reduce(0, +) }

    public var description: String {
        zip(PromptCategory.allCases, weights).map { "\($0.rawValue)=\($1)" }.joined(separator: ",")
    }
}
