import Scenes
import Store
import Training

/// A run's stored evaluations: which steps are complete and the scores of each image.
public enum EvalScores {
    /// The steps whose evaluation is complete (its metrics are written once every eval shard has arrived), in order.
    public static func evaluatedSteps(_ c: Connection, runID: Int64) throws -> [Int] {
        try c.execute(MetricStatements.steps(runID: runID, name: "eval.strict")).rows.map { try $0.int("step") }
    }

    /// The scores of the eval images after `step` completed steps, in (line, sample) order.
    public static func read(_ c: Connection, runID: Int64, step: Int) throws -> [StoredEvaluationScore] {
        try c.execute(EvalSampleStatements.scores(runID: runID, step: step)).rows.map { r in
            let name = try r.string("category")
            guard let category = PromptCategory(rawValue: name) else {
                throw PipelineError.corrupt("eval step \(step): unknown category \"\(name)\"")
            }
            return StoredEvaluationScore(index: try r.int("line"), sample: try r.int("sample"), category: category,
                                         score: try r.double("score"),
                                         strict: (try r.value("strict")) == .bool(true) ? 1 : 0,
                                         accuracy: try r.double("accuracy"), noise: try r.double("noise"))
        }
    }
}
