/// Statements on `sweeps` and `sweep_runs`: runs submitted together from one sweep file.
public enum SweepStatements {
    public static func insert(name: String, file: String) -> SQL {
        "INSERT INTO sweeps (name, file) VALUES (\(name), \(file)) RETURNING id"
    }

    public static func addRun(sweepID: Int64, runID: Int64, point: Int, seed: UInt64, overrides: String) -> SQL {
        """
        INSERT INTO sweep_runs (sweep_id, run_id, point, seed, overrides)
        VALUES (\(sweepID), \(runID), \(point), \(Int64(bitPattern: seed)), \(overrides))
        """
    }

    public static func byName(_ name: String) -> SQL {
        "SELECT id, name, file, created_at FROM sweeps WHERE name = \(name)"
    }

    /// Every sweep with its runs counted by state, by name.
    public static let list: SQL = """
        SELECT s.name, pg_catalog.count(r.id) AS runs,
               pg_catalog.count(r.id) FILTER (WHERE r.state = 'completed') AS completed,
               pg_catalog.count(r.id) FILTER (WHERE r.state = 'active') AS active,
               pg_catalog.count(r.id) FILTER (WHERE r.state NOT IN ('completed', 'active')) AS other
        FROM sweeps s LEFT JOIN sweep_runs sr ON sr.sweep_id = s.id LEFT JOIN runs r ON r.id = sr.run_id
        GROUP BY s.name ORDER BY s.name
        """

    /// The runs of a sweep as `sweep_overview` shows them, by point and seed.
    public static func runs(sweepName: String) -> SQL {
        """
        SELECT run, run_id, point, seed, overrides, state, steps_done, steps, first_eval_step, first_strict,
               last_eval_step, last_strict, last_strict_se
        FROM sweep_overview WHERE sweep = \(sweepName) ORDER BY point, seed
        """
    }
}

extension SweepStatements {
    /// Which sweep each run belongs to (runs outside every sweep have no row).
    public static let membership: SQL = """
        SELECT sr.run_id, s.name AS sweep, sr.point, sr.seed, sr.overrides
        FROM sweep_runs sr JOIN sweeps s ON s.id = sr.sweep_id ORDER BY s.name, sr.point, sr.seed
        """
}
