import Model
import Scenes

/// Stage `eval`: deterministic ODE sampling at the eval step count of the eval prompts (every `eval.prompt_stride`-th
/// line) with the fixed eval seed, scored per category (geneval for objects, ocr for text).
public enum EvalStage {
    /// The prompts an evaluation covers.
    public static func entries(of evalSet: [PromptEntry], config: RunConfig) -> [PromptEntry] {
        evalSet.enumerated().filter { $0.offset % config.eval.promptStride == 0 }.map(\.element)
    }

    public static func run(model: FlowUNet, evalSet: [PromptEntry], config: RunConfig) throws -> EvaluationReport {
        try Evaluation.run(model: model, entries: entries(of: evalSet, config: config),
                           config: config.evalSamplerConfig(), guidance: config.eval.guidance, seed: config.eval.seed)
    }
}
