/// Statements on `stage_barriers`: the fan-in counters.
public enum BarrierStatements {
    static func create(runID: Int64, step: Int, stage: String, expected: Int) -> SQL {
        """
        INSERT INTO stage_barriers (run_id, step, stage, expected) VALUES (\(runID), \(step), \(stage), \(expected))
        ON CONFLICT (run_id, step, stage) DO NOTHING
        """
    }

    /// Counts one arrival; returns (arrived, expected). The row lock serialises concurrent arrivals.
    static func arrive(runID: Int64, step: Int, stage: String) -> SQL {
        """
        UPDATE stage_barriers SET arrived = arrived + 1
        WHERE run_id = \(runID) AND step = \(step) AND stage = \(stage)
        RETURNING arrived, expected
        """
    }
}
