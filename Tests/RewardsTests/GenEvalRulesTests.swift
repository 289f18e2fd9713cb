import Testing
@testable import Rewards
import Scenes

/// GenEval's rules on hand-made detections; expected values are worked by hand from the rules in docs/rewards.md.
struct GenEvalRulesTests {
    private func verdict(_ prompt: String, _ objects: [DetectedObject]) throws -> GenEvalVerdict {
        GenEvalScorer.verdict(try GenEvalRequirements(PromptParser.parse(prompt)), detected: objects)
    }

    @Test func countingPartialCreditAndExactness() throws {
        let tri = { (x: Int) in Fixture.object(.triangle, .red, cx: x, cy: 10) }
        var v = try verdict("three triangles", [tri(5), tri(15)])
        #expect(abs(v.score - 2.0 / 3) < 1e-12 && !v.strict && !v.accuracy)
        v = try verdict("three triangles", [tri(5), tri(12), tri(19)])
        #expect(v.score == 1 && v.strict && v.accuracy)
        // Four found: the count term is 1 − 1/3, strict fails, and the exclusion (≥ 4) fails accuracy.
        v = try verdict("three triangles", [tri(5), tri(12), tri(19), tri(26)])
        #expect(abs(v.score - 2.0 / 3) < 1e-12 && !v.strict && !v.accuracy)
        // One requested, three found: 1 − 2/1 = −1 (GenEval's term is not clipped).
        v = try verdict("a triangle", [tri(5), tri(12), tri(19)])
        #expect(v.score == -1 && !v.strict && v.accuracy) // standard accuracy: "at least one", no exclusion
    }

    @Test func colourTerms() throws {
        var v = try verdict("a red circle", [Fixture.object(.circle, .blue, cx: 10, cy: 10)])
        #expect(v.score == 0.5 && !v.strict && !v.accuracy) // terms [1, 0]
        v = try verdict("two red circles", [Fixture.object(.circle, .red, cx: 8, cy: 8),
                                            Fixture.object(.circle, .blue, cx: 22, cy: 22)])
        #expect(v.score == 0.75 && !v.strict) // terms [1, 1 − 1/2]
        v = try verdict("a red circle", [])
        #expect(v.score == 0 && !v.strict) // terms [0, 0]: a wrong count adds one 0 for the colour
        v = try verdict("a red circle and a blue square", [Fixture.object(.circle, .red, cx: 8, cy: 8),
                                                           Fixture.object(.square, nil, cx: 22, cy: 22)])
        #expect(v.score == 0.75 && !v.strict) // [1, 1] and [1, 0]; an off-palette square has no colour
    }

    /// The diagnostic parts of a verdict: counts right, then colours given counts, then the relation given counts
    /// and colours (each nil where the earlier part failed or the prompt does not ask for it).
    @Test func countsColoursAndRelationAreReportedConditionally() throws {
        let prompt = "a red circle left of a blue square"
        let redCircle = { (x: Int) in Fixture.object(.circle, .red, cx: x, cy: 16) }
        let blueSquare = { (x: Int) in Fixture.object(.square, .blue, cx: x, cy: 16) }
        var v = try verdict(prompt, [redCircle(8), blueSquare(24)])
        #expect(v.countsRight && v.coloursRight == true && v.relationHolds == true && v.strict)
        v = try verdict(prompt, [redCircle(24), blueSquare(8)])
        #expect(v.countsRight && v.coloursRight == true && v.relationHolds == false && !v.strict)
        v = try verdict(prompt, [Fixture.object(.circle, .blue, cx: 8, cy: 16), Fixture.object(.square, .red, cx: 24, cy: 16)])
        #expect(v.countsRight && v.coloursRight == false && v.relationHolds == nil)
        v = try verdict(prompt, [redCircle(8)])
        #expect(!v.countsRight && v.coloursRight == nil && v.relationHolds == nil)
        v = try verdict("a circle left of a square", [Fixture.object(.circle, .green, cx: 24, cy: 16),
                                                      Fixture.object(.square, .green, cx: 8, cy: 16)])
        #expect(v.countsRight && v.coloursRight == nil && v.relationHolds == false)
        v = try verdict("three triangles", [Fixture.object(.triangle, .red, cx: 5, cy: 5)])
        #expect(!v.countsRight && v.coloursRight == nil && v.relationHolds == nil)
    }

    @Test func positionTerms() throws {
        let circleLeft = Fixture.object(.circle, .red, cx: 8, cy: 16)
        let squareRight = Fixture.object(.square, .blue, cx: 24, cy: 16)
        var v = try verdict("a circle left of a square", [circleLeft, squareRight])
        #expect(v.score == 1 && v.strict && v.accuracy)
        v = try verdict("a circle right of a square", [circleLeft, squareRight])
        #expect(abs(v.score - 2.0 / 3) < 1e-12 && !v.strict && !v.accuracy) // [1 square, 1 circle, 0 position]
        v = try verdict("a circle left of a square", [squareRight])
        #expect(abs(v.score - 1.0 / 3) < 1e-12 && !v.strict) // [1 square, 0 circle, 0 for the position clause]
        // Same shapes told apart by colour.
        v = try verdict("a red circle above a blue circle", [Fixture.object(.circle, .red, cx: 16, cy: 6),
                                                             Fixture.object(.circle, .blue, cx: 16, cy: 24)])
        #expect(v.score == 1 && v.strict)
    }

    @Test func relativePositionFollowsGenEvalsMarginRule() {
        let b = Fixture.object(.square, .red, cx: 16, cy: 16, r: 5)
        // Offset (−12, −12) with a margin 0.1·(10 + 10) = 2 per axis: revised (−10, −10)/|(−12, −12)| ≈ (−0.59, −0.59).
        #expect(RelativePosition.relations(of: Fixture.object(.circle, .red, cx: 4, cy: 4, r: 5), to: b) == [.leftOf, .above])
        // Offset (−3, 0): revised (−1, 0)/3 ≈ −0.33: no relation.
        #expect(RelativePosition.relations(of: Fixture.object(.circle, .red, cx: 13, cy: 16, r: 5), to: b).isEmpty)
        // Offset (0, 8): revised (0, 6)/8 = 0.75 → below.
        #expect(RelativePosition.relations(of: Fixture.object(.circle, .red, cx: 16, cy: 24, r: 5), to: b) == [.below])
    }

    @Test func requirementsFollowGenEvalMetadata() throws {
        let r = try GenEvalRequirements(PromptParser.parse("a circle left of a square"))
        #expect(r.includes.map(\.shape) == [.square, .circle]) // target first, as GenEval lists it
        #expect(r.includes[1].position?.relation == .leftOf && r.includes[1].position?.target == 0)
        #expect(try GenEvalRequirements(PromptParser.parse("three triangles")).excludes.first?.count == 4)
        #expect(throws: RewardError.self) { _ = try GenEvalRequirements(PromptParser.parse("the text \"42\"")) }
    }
}
