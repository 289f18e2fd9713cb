/// Statements on `rewards`, long form.
public enum RewardStatements {
    public static func insert(runID: Int64, step: Int, prompt: Int, sample: Int, name: String, value: Double) -> SQL {
        """
        INSERT INTO rewards (run_id, step, prompt_index, sample_index, name, value)
        VALUES (\(runID), \(step), \(prompt), \(sample), \(name), \(value))
        ON CONFLICT DO NOTHING
        """
    }
}
