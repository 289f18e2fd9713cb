/// Statements on `eval_samples`.
public enum EvalSampleStatements {
    public static func insert(runID: Int64, step: Int, line: Int, category: String, prompt: String, png: [UInt8],
                              strict: Bool, rewardsJSON: String) -> SQL {
        """
        INSERT INTO eval_samples (run_id, step, line, category, prompt, png, strict, rewards)
        VALUES (\(runID), \(step), \(line), \(category), \(prompt), \(png), \(strict), \(SQLValue.jsonb(rewardsJSON)))
        ON CONFLICT DO NOTHING
        """
    }

    /// Per-category means of an eval step, summed in line order (independent of the shards' commit order).
    public static func categories(runID: Int64, step: Int) -> SQL {
        """
        SELECT category, count(*) AS images, avg(strict::int ORDER BY line)::float8 AS strict,
               avg((rewards->>'score')::float8 ORDER BY line)::float8 AS score,
               avg((rewards->>'accuracy')::float8 ORDER BY line)::float8 AS accuracy
        FROM eval_samples WHERE run_id = \(runID) AND step = \(step) GROUP BY category ORDER BY category
        """
    }
}

extension EvalSampleStatements {
    public static func steps(runID: Int64) -> SQL {
        "SELECT DISTINCT step FROM eval_samples WHERE run_id = \(runID) ORDER BY step"
    }

    public static func export(runID: Int64, step: Int, images: Bool) -> SQL {
        """
        SELECT line, category, prompt, strict, rewards::text AS rewards, CASE WHEN \(images) THEN png END AS png
        FROM eval_samples WHERE run_id = \(runID) AND step = \(step) ORDER BY line
        """
    }
}
