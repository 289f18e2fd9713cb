import Store

/// The stages of the pipeline (docs/architecture.md §2) and how the queue treats each: priority (lower runs first, so a
/// run's train step is never starved by other runs' rollouts or evaluations) and the dedupe keys that make every
/// enqueue idempotent.
public enum PipelineStage: String, CaseIterable, Sendable {
    case plan, rollout, score, advantage, train, eval

    /// Claim priority: the stages that finish a step come first.
    public var priority: Int {
        switch self {
        case .train: 0
        case .advantage: 1
        case .plan: 2
        case .score: 3
        case .rollout: 4
        case .eval: 5
        }
    }

    /// A job of this stage for (run, step, shard).
    func job(run: Int64, step: Int, shard: Int = 0, held: Bool) -> JobSpec {
        JobSpec(runID: run, stage: rawValue, step: step, shard: shard, priority: priority, held: held)
    }
}

/// Eval images per eval job: an evaluation of the 384 GenEval prompts runs as 4 jobs that workers share (16 jobs of
/// 24 prompts × 4 images with `eval.samples_per_prompt: 4`).
public let evalShardSize = 96
