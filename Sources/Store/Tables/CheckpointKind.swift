/// What a `checkpoints` row holds (the table's CHECK constraint lists the same three).
public enum CheckpointKind: String, Sendable, CaseIterable {
    /// The policy's weights after k steps (the base model at 0): what rollouts sample from.
    case policy
    /// The whole training state after k steps: weights, AdamW moments, EMA (what the next train job resumes).
    case state
    /// The EMA weights after k steps, at evaluation and checkpoint steps (when the run keeps an EMA).
    case eval
}
