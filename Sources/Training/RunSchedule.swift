/// When a run evaluates and which checkpoints it keeps: one rule for `flowcps rl` and the pipeline.
extension RunConfig {
    /// True when an evaluation follows after `step` completed RL steps: at 0, every `eval.every` steps and at the
    /// end; never when `eval.every` is 0 or there is nothing to evaluate.
    public func evaluates(at step: Int, evalPrompts: Int) -> Bool {
        guard eval.every > 0, evalPrompts > 0 else { return false }
        return step == 0 || step % eval.every == 0 || step == steps
    }

    /// True when the evaluation weights after `step` completed RL steps are kept as a checkpoint: every
    /// `checkpoint_every` steps, and the last step's always.
    public func keepsCheckpoint(at step: Int) -> Bool {
        step == steps || (checkpointEvery > 0 && step > 0 && step % checkpointEvery == 0)
    }
}
