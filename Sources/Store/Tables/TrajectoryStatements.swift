/// Statements on `trajectories`: states and old log-probs of each rollout chain.
public enum TrajectoryStatements {
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

extension TrajectoryStatements {
    /// The chains of a rollout job in one statement: rows of (prompt, sample, states, log-probs).
    public static func insert(runID: Int64, step: Int, rows: [(prompt: Int, sample: Int, states: [UInt8], logProbs: [UInt8])]) -> SQL {
        """
        INSERT INTO trajectories (run_id, step, prompt_index, sample_index, states, log_probs, sha256)
        SELECT \(runID), \(step), v.p, v.j, v.states, v.log_probs, encode(sha256(v.states), 'hex')
        FROM (VALUES \(rows: rows.map { [.int(Int64($0.prompt)), .int(Int64($0.sample)), .bytes($0.states), .bytes($0.logProbs)] }))
             AS v (p, j, states, log_probs)
        ON CONFLICT DO NOTHING
        """
    }
}
