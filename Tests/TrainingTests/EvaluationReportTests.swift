import Imaging
import Scenes
import Testing
@testable import Training

/// Per-category means, the line-clustered standard error and the diagnostic rates of an evaluation, on
/// hand-made scored samples whose answers are worked out by hand.
struct EvaluationReportTests {
    private func sample(_ line: Int, _ category: PromptCategory, strict: Double, colours: Bool? = nil,
                        relation: Bool? = nil) -> EvaluatedSample {
        EvaluatedSample(index: line, sample: 0, entry: PromptEntry(category: category, prompt: "a circle"),
                        image: RGBImage(width: 1, height: 1), score: strict, strict: strict, accuracy: strict,
                        noise: 0, coloursRight: colours, relationHolds: relation)
    }

    @Test func standardErrorsAreClusteredByLineAndRatesAreConditional() {
        // Position: line 0 scores 1, 1; line 1 scores 0, 1; line 2 scores 0, 0. Line means 1, 0.5, 0: mean 0.5,
        // sample variance 0.25, se = √(0.25/3) = 0.288675.
        var samples = [sample(0, .position, strict: 1, colours: true, relation: true),
                       sample(0, .position, strict: 1, colours: true, relation: true),
                       sample(1, .position, strict: 0, colours: true, relation: false),
                       sample(1, .position, strict: 1, colours: true, relation: true),
                       sample(2, .position, strict: 0, colours: false),
                       sample(2, .position, strict: 0)]
        // Colour binding, one line of four images: 3 of 4 strict; binomial se = √(0.75·0.25/3) = 0.25.
        samples += [1.0, 1, 1, 0].map { sample(5, .colorAttr, strict: $0, colours: $0 == 1) }
        let report = Evaluation.report(samples)
        let p = report.categories[.position]!, c = report.categories[.colorAttr]!
        #expect(p.images == 6 && abs(p.strict - 0.5) < 1e-12)
        #expect(abs(p.strictStandardError - 0.288675) < 1e-6)
        #expect(p.objectsRight == 4 && p.relationHolds == 3 && abs(p.relationGivenObjects! - 0.75) < 1e-12)
        #expect(p.countsRight == 5 && abs(p.coloursGivenCounts! - 4.0 / 5) < 1e-12)
        #expect(abs(c.strict - 0.75) < 1e-12 && abs(c.strictStandardError - 0.25) < 1e-12)
        #expect(c.relationGivenObjects == nil)
        // Overall: the mean of the categories, se = √(se_p² + se_c²)/2.
        #expect(abs(report.overallStrict - 0.625) < 1e-12)
        #expect(abs(report.overallStrictStandardError - (0.288675 * 0.288675 + 0.0625).squareRoot() / 2) < 1e-6)
    }
}
