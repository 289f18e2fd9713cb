import Foundation
import Scenes
import Training

/// The per-category table of an evaluation, as `evaluate` and `finetune` print it: strict accuracy with its
/// line-clustered standard error, GenEval accuracy, partial score, residual noise, and the two diagnostic rates
/// (relation given objects on position prompts, colours given counts on colour prompts).
enum EvaluationTable {
    static func print(_ report: EvaluationReport) {
        Swift.print("category        images  strict ± se      accuracy  score   noise   rel|obj        col|cnt")
        for c in PromptCategory.allCases {
            guard let r = report.categories[c] else { continue }
            Swift.print(c.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0)
                        + String(format: " %6d  %.3f ± %.3f    %.3f     %.3f   %.4f  ", r.images, r.strict,
                                 r.strictStandardError, r.accuracy, r.score, r.noise)
                        + rate(r.relationGivenObjects, r.objectsRight) + " " + rate(r.coloursGivenCounts, r.countsRight))
        }
        Swift.print(String(format: "overall (mean of categories): strict %.3f ± %.3f, accuracy %.3f; mean noise %.4f",
                           report.overallStrict, report.overallStrictStandardError, report.overallAccuracy,
                           report.meanNoise))
    }

    /// JSON fields of one category.
    static func json(_ r: CategoryResult) -> [String: Any] {
        var o: [String: Any] = ["images": r.images, "strict": r.strict, "strict_se": r.strictStandardError,
                                "accuracy": r.accuracy, "score": r.score, "noise": r.noise]
        if let v = r.relationGivenObjects { o["relation_given_objects"] = v; o["objects_right"] = r.objectsRight }
        if let v = r.coloursGivenCounts { o["colours_given_counts"] = v; o["counts_right"] = r.countsRight }
        return o
    }

    private static func rate(_ value: Double?, _ n: Int) -> String {
        guard let value else { return "—".padding(toLength: 14, withPad: " ", startingAt: 0) }
        return String(format: "%.3f (n %4d)", value, n)
    }
}
