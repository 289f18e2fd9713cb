/// Statements on `rewards`, long form.
public enum RewardStatements {
    public static func insert(runID: Int64, step: Int, prompt: Int, sample: Int, name: String, value: Double) -> SQL {
        """
        INSERT INTO rewards (run_id, step, prompt_index, sample_index, name, value)
        VALUES (\(runID), \(step), \(prompt), \(sample), \(name), \(value))
        ON CONFLICT DO NOTHING
        """
    }

    /// Every named reward of a step's samples, in (prompt, sample, name) order.
    public static func forStep(runID: Int64, step: Int) -> SQL {
        """
        SELECT prompt_index, sample_index, name, value FROM rewards
        WHERE run_id = \(runID) AND step = \(step) ORDER BY prompt_index, sample_index, name
        """
    }
}
