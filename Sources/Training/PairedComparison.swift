import Scenes

/// Two evaluations of the same eval prompts compared image by image: the difference of strict accuracy B − A per
/// category with its standard error, clustered by prompt line. Pairing removes the spread between prompts (an easy
/// prompt is easy for both), so a difference is resolved with far fewer images than two independent means need.
///
/// For each line the mean strict difference over the images both evaluations have (same line, same sample number);
/// a category's difference is the mean over its lines and its standard error the standard deviation of the per-line
/// differences over √lines (with a single line, the error of the mean of its image differences). `overall` is the
/// mean of the categories (as GenEval's overall score), with the errors combined as √Σse² / categories.
public struct PairedComparison: Sendable {
    /// One category's (or `overall`'s) comparison.
    public struct Row: Sendable, Equatable {
        public var category: String
        /// Paired images and the prompt lines they cover.
        public var images: Int
        public var lines: Int
        /// Strict accuracy of A and B over the paired images, and B − A with its standard error.
        public var strictA: Double
        public var strictB: Double
        public var difference: Double
        public var standardError: Double

        /// The difference in standard errors (nil when the error is 0).
        public var zScore: Double? { standardError > 0 ? difference / standardError : nil }
    }

    private struct Key: Hashable { var line: Int, sample: Int }

    /// The categories in `PromptCategory` order, then `overall`.
    public var rows: [Row]
    /// Images of either side without a partner (other lines or sample numbers), left out.
    public var unpaired: Int

    /// Pairs `a` and `b` by (line, sample). Throws when a paired line has a different category on the two sides
    /// (the evaluations are not of the same prompt list).
    public init<S: EvaluationScore>(a: [S], b: [S]) throws {
        var right: [Key: S] = [:]
        for s in b { right[Key(line: s.index, sample: s.sample)] = s }
        var perLine: [PromptCategory: [Int: [(a: Double, b: Double)]]] = [:]
        var paired = 0
        for s in a.sorted(by: { ($0.index, $0.sample) < ($1.index, $1.sample) }) {
            guard let t = right[Key(line: s.index, sample: s.sample)] else { continue }
            guard s.category == t.category else {
                throw ConfigError(field: "eval", "line \(s.index) is \(s.category.rawValue) in one evaluation and "
                                  + "\(t.category.rawValue) in the other: they are not of the same eval prompts")
            }
            perLine[s.category, default: [:]][s.index, default: []].append((s.strict, t.strict))
            paired += 1
        }
        unpaired = a.count + b.count - 2 * paired
        var rows: [Row] = []
        for category in PromptCategory.allCases {
            guard let lines = perLine[category], !lines.isEmpty else { continue }
            let ordered = lines.sorted { $0.key < $1.key }.map(\.value)
            let all = ordered.flatMap { $0 }
            let n = Double(all.count)
            let strictA = all.map(\.a).reduce(0, +) / n, strictB = all.map(\.b).reduce(0, +) / n
            let differences: [Double]
            if ordered.count > 1 {
                differences = ordered.map { pairs in pairs.map { $0.b - $0.a }.reduce(0, +) / Double(pairs.count) }
            } else {
                differences = all.map { $0.b - $0.a }
            }
            let k = Double(differences.count)
            let mean = differences.reduce(0, +) / k
            let variance = k > 1 ? differences.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (k - 1) : 0
            rows.append(Row(category: category.rawValue, images: all.count, lines: ordered.count, strictA: strictA,
                            strictB: strictB, difference: mean, standardError: (variance / k).squareRoot()))
        }
        if !rows.isEmpty {
            let c = Double(rows.count)
            rows.append(Row(category: "overall", images: rows.map(\.images).reduce(0, +),
                            lines: rows.map(\.lines).reduce(0, +), strictA: rows.map(\.strictA).reduce(0, +) / c,
                            strictB: rows.map(\.strictB).reduce(0, +) / c,
                            difference: rows.map(\.difference).reduce(0, +) / c,
                            standardError: rows.map { $0.standardError * $0.standardError }.reduce(0, +).squareRoot() / c))
        }
        self.rows = rows
    }
}

