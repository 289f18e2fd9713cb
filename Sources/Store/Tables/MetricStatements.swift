/// Statements on `metrics`.
public enum MetricStatements {
    public static func forRun(runID: Int64, prefix: String) -> SQL {
        """
        SELECT step, name, value FROM metrics WHERE run_id = \(runID) AND starts_with(name, \(prefix))
        ORDER BY step, name
        """
    }
}

extension MetricStatements {
    /// Adds to a metric (seconds spent by the shards of a stage); each job commits once, so the sum is exact.
    public static func add(runID: Int64, step: Int, name: String, value: Double) -> SQL {
        """
        INSERT INTO metrics (run_id, step, name, value) VALUES (\(runID), \(step), \(name), \(value))
        ON CONFLICT (run_id, step, name) DO UPDATE SET value = metrics.value + excluded.value
        """
    }
}

extension MetricStatements {
    /// The newest value of each metric of a run.
    public static func latest(runID: Int64) -> SQL {
        """
        SELECT DISTINCT ON (name) name, step, value FROM metrics WHERE run_id = \(runID)
        ORDER BY name, step DESC
        """
    }
}

extension MetricStatements {
    public static func all(runID: Int64) -> SQL {
        "SELECT step, name, value FROM metrics WHERE run_id = \(runID) ORDER BY step, name"
    }
}

extension MetricStatements {
    /// Many metrics of one step in one statement: rows of (name, value).
    public static func insert(runID: Int64, step: Int, rows: [(name: String, value: Double)]) -> SQL {
        """
        INSERT INTO metrics (run_id, step, name, value)
        SELECT \(runID), \(step), v.name, v.value
        FROM (VALUES \(rows: rows.map { [.text($0.name), .double($0.value)] })) AS v (name, value)
        ON CONFLICT DO NOTHING
        """
    }
}

extension MetricStatements {
    /// The steps at which a run recorded metric `name`, in order.
    public static func steps(runID: Int64, name: String) -> SQL {
        "SELECT step FROM metrics WHERE run_id = \(runID) AND name = \(name) ORDER BY step"
    }
}

extension MetricStatements {
    /// The metrics a run's dashboard page plots: eval strict accuracies and their standard errors, the objective's
    /// KL, clip fraction and gradient norm, and seconds per stage (not the per-timestep and other rows).
    public static func dashboard(runID: Int64) -> SQL {
        """
        SELECT step, name, value FROM metrics
        WHERE run_id = \(runID)
          AND (name LIKE 'eval.strict%' OR name LIKE 'seconds.%'
               OR name IN ('train.kl', 'train.approx_kl', 'train.clip_fraction', 'train.grad_norm'))
        ORDER BY step, name
        """
    }
}
