import Model
import Rewards
import Scenes

/// One evaluation image with every value recorded for it: GenEval's (or OCR's) `score`, `strict`, `accuracy`, each
/// reward of the run, their weighted `total`, and the residual `noise`, by name in name order.
public struct ScoredEvalImage: Sendable {
    public var sample: EvaluatedSample
    public var values: [NamedValue]

    /// The values as a JSON object (shortest round-trip numbers: they read back exactly; null if not finite).
    public var valuesJSON: String {
        "{" + values.map { "\"\($0.name)\": \($0.value.isFinite ? "\($0.value)" : "null")" }.joined(separator: ", ") + "}"
    }
}

/// Stage `eval`: deterministic ODE sampling at the eval step count of the eval prompts (every `eval.prompt_stride`-th
/// line) with the fixed eval seed, scored per category (geneval for objects, ocr for text).
public enum EvalStage {
    /// The prompts an evaluation covers.
    public static func entries(of evalSet: [PromptEntry], config: RunConfig) -> [PromptEntry] {
        evalSet.enumerated().filter { $0.offset % config.eval.promptStride == 0 }.map(\.element)
    }

    /// The images of the given (index, entry) pairs of `entries(of:config:)` (any slice: each index keeps its seed),
    /// `eval.samples_per_prompt` per entry, each scored by the category's verdict and every reward of the run.
    public static func images(model: FlowUNet, entries: [(offset: Int, element: PromptEntry)],
                              config: RunConfig) throws -> [ScoredEvalImage] {
        let samples = try Evaluation.samples(model: model, entries: entries, config: config.evalSamplerConfig(),
                                             guidance: config.eval.guidance, seed: config.eval.seed,
                                             samplesPerLine: config.eval.samplesPerPrompt)
        // The rewards FlowCPS scores itself (external ones are scored on rollouts only); `total` only when that is
        // every reward of the run.
        let rewards = try config.internalRewards()
        let complete = config.externalRewards.isEmpty
        return try samples.map { s in
            var values = ["score": s.score, "strict": s.strict, "accuracy": s.accuracy]
            if let combined = try rewards?.score(image: s.image, prompt: s.entry.prompt) {
                for r in combined.rewards { values[r.name] = r.score.value }
                if complete { values["total"] = combined.total }
            }
            values["noise"] = s.noise
            return ScoredEvalImage(sample: s, values: values.sorted { $0.key < $1.key }
                .map { NamedValue(name: $0.key, value: $0.value) })
        }
    }

    /// A whole evaluation of the current weights.
    public static func run(model: FlowUNet, evalSet: [PromptEntry], config: RunConfig) throws -> EvaluationReport {
        try Evaluation.run(model: model, entries: entries(of: evalSet, config: config),
                           config: config.evalSamplerConfig(), guidance: config.eval.guidance, seed: config.eval.seed,
                           samplesPerLine: config.eval.samplesPerPrompt)
    }
}
