import Testing
import Scenes
@testable import Training

/// Paired comparisons of two evaluations: values worked out by hand.
@Suite struct PairedComparisonTests {
    static func score(_ line: Int, _ sample: Int, _ category: PromptCategory, _ strict: Double) -> StoredEvaluationScore {
        StoredEvaluationScore(index: line, sample: sample, category: category, score: strict, strict: strict,
                              accuracy: strict, noise: 0)
    }

    @Test func differencesArePairedByLineAndClusteredByLine() throws {
        // counting, lines 0–2, two images each. A: line 0 {1,0}, line 1 {0,0}, line 2 {1,1}.
        // B: line 0 {1,1}, line 1 {1,0}, line 2 {1,1}. Per-line differences: 0.5, 0.5, 0 → mean 1/3,
        // sample sd = sqrt(((1/6)^2·2 + (1/3)^2)/2) = sqrt(1/12), se = sqrt(1/12)/sqrt(3) = 1/6.
        let a = [Self.score(0, 0, .counting, 1), Self.score(0, 1, .counting, 0), Self.score(1, 0, .counting, 0),
                 Self.score(1, 1, .counting, 0), Self.score(2, 0, .counting, 1), Self.score(2, 1, .counting, 1),
                 Self.score(3, 0, .colors, 1)]
        let b = [Self.score(2, 1, .counting, 1), Self.score(2, 0, .counting, 1), Self.score(1, 1, .counting, 0),
                 Self.score(1, 0, .counting, 1), Self.score(0, 1, .counting, 1), Self.score(0, 0, .counting, 1),
                 Self.score(3, 0, .colors, 0), Self.score(9, 0, .colors, 1)]
        let p = try PairedComparison(a: a, b: b)
        #expect(p.unpaired == 1)
        let counting = try #require(p.rows.first { $0.category == "counting" })
        #expect(counting.images == 6 && counting.lines == 3)
        #expect(abs(counting.strictA - 0.5) < 1e-12 && abs(counting.strictB - 5.0 / 6) < 1e-12)
        #expect(abs(counting.difference - 1.0 / 3) < 1e-12)
        #expect(abs(counting.standardError - 1.0 / 6) < 1e-12)
        #expect(abs(counting.zScore! - 2) < 1e-9)
        // colors: one line, one image: difference −1, no spread to estimate.
        let colors = try #require(p.rows.first { $0.category == "colors" })
        #expect(colors.difference == -1 && colors.standardError == 0 && colors.zScore == nil)
        // overall: mean of the categories, errors combined as sqrt(Σse²)/categories.
        let overall = try #require(p.rows.last)
        #expect(overall.category == "overall" && p.rows.map(\.category) == ["counting", "colors", "overall"])
        #expect(abs(overall.difference - (1.0 / 3 - 1) / 2) < 1e-12)
        #expect(abs(overall.standardError - 1.0 / 12) < 1e-12)
    }

    @Test func differentPromptListsCannotBePaired() {
        #expect(throws: ConfigError.self) {
            _ = try PairedComparison(a: [Self.score(0, 0, .counting, 1)], b: [Self.score(0, 0, .colors, 1)])
        }
    }

    @Test func anEvaluationComparedWithItselfShowsNoDifference() throws {
        let a = (0..<8).map { Self.score($0, 0, .position, Double($0 % 2)) }
        let p = try PairedComparison(a: a, b: a)
        #expect(p.rows.allSatisfy { $0.difference == 0 && $0.standardError == 0 })
    }
}
