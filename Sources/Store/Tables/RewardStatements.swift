/// Statements on `rewards`, long form.
public enum RewardStatements {
    /// Every named reward of a step's samples, in (prompt, sample, name) order.
    public static func forStep(runID: Int64, step: Int) -> SQL {
        """
        SELECT prompt_index, sample_index, name, value FROM rewards
        WHERE run_id = \(runID) AND step = \(step) ORDER BY prompt_index, sample_index, name
        """
    }
}

extension RewardStatements {
    /// Every named reward of a score job in one statement: rows of (prompt, sample, name, value).
    public static func insert(runID: Int64, step: Int, rows: [(prompt: Int, sample: Int, name: String, value: Double)]) -> SQL {
        """
        INSERT INTO rewards (run_id, step, prompt_index, sample_index, name, value)
        SELECT \(runID), \(step), v.p, v.j, v.name, v.value
        FROM (VALUES \(rows: rows.map { [.int(Int64($0.prompt)), .int(Int64($0.sample)), .text($0.name), .double($0.value)] }))
             AS v (p, j, name, value)
        ON CONFLICT DO NOTHING
        """
    }
}
