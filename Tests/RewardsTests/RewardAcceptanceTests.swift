import Testing
import Rewards
import Scenes

/// The acceptance numbers of the rewards issue, kept as tests: strict accuracy on renderings of every eval prompt
/// (clean ≥ 0.99; Gaussian noise std 0.05 and Gaussian blur σ = 1 px ≥ 0.95) and on renderings of a wrong
/// prompt of the same category (≤ 0.05). `flowcps-bench reward-check` prints the same table.
struct RewardAcceptanceTests {
    static let thresholds: [(RewardCheck.Condition, ClosedRange<Double>)] = [
        (.clean, 0.99...1), (.noise, 0.95...1), (.blur, 0.95...1), (.wrongScene, 0...0.05),
        // Beyond the bar: both degradations at once, and off-palette colours.
        (.noiseAndBlur, 0.95...1), (.colorCast, 0.95...1),
    ]

    @Test(arguments: thresholds.map(\.0))
    func genevalStrictAccuracyOnTheEvalSet(condition: RewardCheck.Condition) throws {
        #expect(Fixture.evalEntries.count >= 300)
        let acc = try RewardCheck.strictAccuracy(reward: GenEvalReward(), entries: Fixture.evalEntries,
                                                 seeds: [11, 12], condition: condition)
        let range = Self.thresholds.first { $0.0 == condition }!.1
        #expect(range.contains(acc), "geneval \(condition.rawValue): \(acc)")
    }

    @Test(arguments: thresholds.map(\.0))
    func ocrStrictAccuracyOnTheEvalSet(condition: RewardCheck.Condition) throws {
        #expect(Fixture.ocrEntries.count >= 200)
        let acc = try RewardCheck.strictAccuracy(reward: OCRReward(), entries: Fixture.ocrEntries, seeds: [21],
                                                 condition: condition)
        let range = Self.thresholds.first { $0.0 == condition }!.1
        #expect(range.contains(acc), "ocr \(condition.rawValue): \(acc)")
    }

    @Test func genevalHoldsAtDoubleResolution() throws {
        let entries = Array(Fixture.evalEntries.enumerated().filter { $0.offset % 4 == 0 }.map(\.element))
        for condition in [RewardCheck.Condition.clean, .noise, .blur] {
            let acc = try RewardCheck.strictAccuracy(reward: GenEvalReward(), entries: entries, seeds: [5],
                                                     condition: condition, size: 64)
            #expect(acc >= 0.95, "64 px \(condition.rawValue): \(acc)")
        }
    }

    @Test func wrongScenesNeverSatisfyTheirPrompt() throws {
        #expect(Fixture.evalEntries.count >= 300, "the eval prompt set did not load")
        for (line, entry) in Fixture.evalEntries.enumerated() {
            let spec = try PromptParser.parse(entry.prompt)
            let wrong = RewardCheck.wrongSpec(for: spec, among: Fixture.evalEntries, line: line)
            #expect(wrong != spec && wrong.category == spec.category, "\(entry.prompt)")
            #expect(!RewardCheck.satisfies(wrong, spec))
        }
        let a = try PromptParser.parse("a circle left of a square"), b = try PromptParser.parse("a square right of a circle")
        #expect(RewardCheck.satisfies(b, a) && RewardCheck.satisfies(a, b))
        #expect(RewardCheck.satisfies(try PromptParser.parse("three red triangles"), try PromptParser.parse("three triangles")))
        #expect(!RewardCheck.satisfies(try PromptParser.parse("three triangles"), try PromptParser.parse("three red triangles")))
    }
}
