/// Statements on `trajectories`: states and old log-probs of each rollout chain.
public enum TrajectoryStatements {
    public static func insert(runID: Int64, step: Int, prompt: Int, sample: Int, states: [UInt8], logProbs: [UInt8]) -> SQL {
        """
        INSERT INTO trajectories (run_id, step, prompt_index, sample_index, states, log_probs, sha256)
        SELECT \(runID), \(step), \(prompt), \(sample), b.states, \(logProbs), encode(sha256(b.states), 'hex')
        FROM (SELECT \(states) AS states) b
        ON CONFLICT DO NOTHING
        """
    }

    public static func forStep(runID: Int64, step: Int) -> SQL {
        """
        SELECT prompt_index, sample_index, states, log_probs, sha256, encode(sha256(states), 'hex') AS actual
        FROM trajectories WHERE run_id = \(runID) AND step = \(step) ORDER BY prompt_index, sample_index
        """
    }

    /// Retention: a step's trajectories go once its train stage has consumed them.
    public static func delete(runID: Int64, step: Int) -> SQL {
        "DELETE FROM trajectories WHERE run_id = \(runID) AND step = \(step)"
    }
}
