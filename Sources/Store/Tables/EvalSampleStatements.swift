/// Statements on `eval_samples`.
public enum EvalSampleStatements {
    /// The scores of a step's eval images in (line, sample) order (independent of the shards' commit order), as the
    /// summary of an evaluation needs them.
    public static func scores(runID: Int64, step: Int) -> SQL {
        """
        SELECT line, sample, category, strict, (rewards->>'score')::float8 AS score,
               (rewards->>'accuracy')::float8 AS accuracy, (rewards->>'noise')::float8 AS noise
        FROM eval_samples WHERE run_id = \(runID) AND step = \(step) ORDER BY line, sample
        """
    }
}

extension EvalSampleStatements {
    public static func steps(runID: Int64) -> SQL {
        "SELECT DISTINCT step FROM eval_samples WHERE run_id = \(runID) ORDER BY step"
    }

    public static func export(runID: Int64, step: Int, images: Bool) -> SQL {
        """
        SELECT line, sample, category, prompt, strict, rewards::text AS rewards, CASE WHEN \(images) THEN png END AS png
        FROM eval_samples WHERE run_id = \(runID) AND step = \(step) ORDER BY line, sample
        """
    }
}

extension EvalSampleStatements {
    /// One evaluation image of `insert(runID:step:rows:)`.
    public struct NewEvalSample: Sendable {
        public var line: Int, sample: Int, category: String, prompt: String, png: [UInt8], strict: Bool, rewardsJSON: String
        public init(line: Int, sample: Int = 0, category: String, prompt: String, png: [UInt8], strict: Bool, rewardsJSON: String) {
            self.line = line; self.sample = sample; self.category = category; self.prompt = prompt; self.png = png; self.strict = strict
            self.rewardsJSON = rewardsJSON
        }
    }

    /// The images of an eval job in one statement.
    public static func insert(runID: Int64, step: Int, rows: [NewEvalSample]) -> SQL {
        """
        INSERT INTO eval_samples (run_id, step, line, sample, category, prompt, png, strict, rewards)
        SELECT \(runID), \(step), v.line, v.sample, v.category, v.prompt, v.png, v.strict, v.rewards
        FROM (VALUES \(rows: rows.map { [.int(Int64($0.line)), .int(Int64($0.sample)), .text($0.category), .text($0.prompt), .bytes($0.png),
                                          .bool($0.strict), .jsonb($0.rewardsJSON)] }))
             AS v (line, sample, category, prompt, png, strict, rewards)
        ON CONFLICT DO NOTHING
        """
    }
}
