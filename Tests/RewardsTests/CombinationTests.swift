import Imaging
import Testing
import Rewards
import Scenes

/// A reward that returns a fixed value, to test validation.
struct ConstantReward: Reward {
    let name: String
    let value: Double
    var range: ClosedRange<Double> { 0...1 }
    func score(_ input: RewardInput) throws -> RewardScore { RewardScore(value: value) }
}

struct CombinationTests {
    @Test func weightedSumKeepsEverySubScore() throws {
        let rewards = try WeightedRewards(parsing: "geneval=1, aesthetic=0.2,noise=0")
        let image = try Fixture.render("two red circles")
        let c = try rewards.score(image: image, prompt: "two red circles")
        #expect(c.rewards.map(\.name) == ["geneval", "aesthetic", "noise"])
        #expect(abs(c.total - (c["geneval"]!.value + 0.2 * c["aesthetic"]!.value)) < 1e-12)
        #expect(c["geneval"]!.details["strict"] == 1)
        #expect(try WeightedRewards(parsing: "ocr").terms.first?.weight == 1)
    }

    @Test func strictGenEvalIsTheVerdictOfTheSameRules() throws {
        let rewards = try WeightedRewards(parsing: "geneval=1,geneval_strict=2")
        let image = try Fixture.render("a red circle left of a blue square")
        let right = try rewards.score(image: image, prompt: "a red circle left of a blue square")
        #expect(right["geneval_strict"]?.value == 1)
        #expect(abs(right.total - 3) < 1e-12)
        let wrong = try rewards.score(image: image, prompt: "a red circle right of a blue square")
        #expect(wrong["geneval_strict"]?.value == 0)
        #expect(wrong["geneval"]!.value > 0.5, "partial credit stays while strict is 0")
        #expect(abs(wrong.total - wrong["geneval"]!.value) < 1e-12)
        #expect(wrong["geneval_strict"]?.details["score"] == wrong["geneval"]!.value)
    }

    @Test func badSpecificationsAreClearErrors() {
        for (text, needle) in [("pickscore=1", "unknown reward \"pickscore\""), ("geneval=abc", "not a number"),
                               ("geneval,geneval", "given twice"), ("", "empty reward name"),
                               ("geneval=inf", "not a number"), ("geneval=1,", "empty reward name")] {
            #expect {
                _ = try WeightedRewards(parsing: text)
            } throws: { ($0 as? RewardError)?.message.contains(needle) == true }
        }
    }

    @Test func invalidScoresFailNamingRewardAndPrompt() throws {
        let image = try Fixture.render("a circle")
        for bad in [Double.nan, .infinity, 1.5, -0.1] {
            let rewards = try WeightedRewards([(ConstantReward(name: "broken", value: bad), 1)])
            #expect {
                _ = try rewards.score(image: image, prompt: "a circle")
            } throws: { error in
                guard let e = error as? RewardError else { return false }
                return e.code == .invalidScore && e.message.contains("broken") && e.message.contains("\"a circle\"")
            }
        }
    }

    @Test func inputsAreChecked() throws {
        let image = try Fixture.render("a circle")
        #expect { _ = try RewardInput(image: RGBImage(width: 40, height: 40), prompt: "a circle") }
            throws: { ($0 as? RewardError)?.code == .badImage }
        #expect { _ = try RewardInput(image: RGBImage(width: 64, height: 32), prompt: "a circle") }
            throws: { ($0 as? RewardError)?.code == .badImage }
        #expect { _ = try RewardInput(image: image, prompt: "a dodecahedron") }
            throws: { ($0 as? RewardError)?.message.contains("dodecahedron") == true }
        #expect { _ = try GenEvalReward().score(RewardInput(image: image, prompt: "the text \"42\"")) }
            throws: { ($0 as? RewardError)?.code == .badPrompt }
        #expect { _ = try OCRReward().score(RewardInput(image: image, prompt: "a circle")) }
            throws: { ($0 as? RewardError)?.code == .badPrompt }
    }
}
