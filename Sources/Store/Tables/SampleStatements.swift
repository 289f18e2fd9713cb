/// Statements on `samples`, one row per rollout image.
public enum SampleStatements {
    /// The samples of one rollout shard (prompt indices comma-separated), with their PNGs.
    public static func forPrompts(runID: Int64, step: Int, prompts: String) -> SQL {
        """
        SELECT prompt_index, sample_index, line, prompt, seed, png, reward FROM samples
        WHERE run_id = \(runID) AND step = \(step)
          AND prompt_index = ANY (string_to_array(\(prompts), ',')::int[])
        ORDER BY prompt_index, sample_index
        """
    }

    /// Every sample's total reward of a step (the advantage stage's input).
    public static func rewards(runID: Int64, step: Int) -> SQL {
        """
        SELECT prompt_index, sample_index, reward FROM samples
        WHERE run_id = \(runID) AND step = \(step) ORDER BY prompt_index, sample_index
        """
    }

    /// Samples with their advantages (the train stage's input, joined to trajectories by the caller).
    public static func advantages(runID: Int64, step: Int) -> SQL {
        """
        SELECT prompt_index, sample_index, line, prompt, advantage FROM samples
        WHERE run_id = \(runID) AND step = \(step) ORDER BY prompt_index, sample_index
        """
    }
}

extension SampleStatements {
    /// Steps of a run that have samples.
    public static func steps(runID: Int64) -> SQL {
        "SELECT DISTINCT step FROM samples WHERE run_id = \(runID) ORDER BY step"
    }

    /// One step's samples with every named reward as JSON (for export), PNGs only when `images`.
    public static func export(runID: Int64, step: Int, images: Bool) -> SQL {
        """
        SELECT s.prompt_index, s.sample_index, s.line, s.prompt, s.seed, s.reward, s.advantage,
               CASE WHEN \(images) THEN s.png END AS png,
               coalesce((SELECT jsonb_object_agg(r.name, r.value) FROM rewards r
                         WHERE r.run_id = s.run_id AND r.step = s.step AND r.prompt_index = s.prompt_index
                           AND r.sample_index = s.sample_index), '{}'::jsonb)::text AS rewards
        FROM samples s WHERE s.run_id = \(runID) AND s.step = \(step)
        ORDER BY s.prompt_index, s.sample_index
        """
    }
}

extension SampleStatements {
    /// One rollout sample of `insert(runID:step:rows:)`.
    public struct NewSample: Sendable {
        public var prompt: Int, sample: Int, line: Int, text: String, seed: UInt64, png: [UInt8]
        public init(prompt: Int, sample: Int, line: Int, text: String, seed: UInt64, png: [UInt8]) {
            self.prompt = prompt; self.sample = sample; self.line = line; self.text = text; self.seed = seed; self.png = png
        }
    }

    /// The samples of a rollout job in one statement.
    public static func insert(runID: Int64, step: Int, rows: [NewSample]) -> SQL {
        """
        INSERT INTO samples (run_id, step, prompt_index, sample_index, line, prompt, seed, png)
        SELECT \(runID), \(step), v.p, v.j, v.line, v.prompt, v.seed, v.png
        FROM (VALUES \(rows: rows.map { [.int(Int64($0.prompt)), .int(Int64($0.sample)), .int(Int64($0.line)), .text($0.text),
                                          $0.seed.sqlValue, .bytes($0.png)] }))
             AS v (p, j, line, prompt, seed, png)
        ON CONFLICT DO NOTHING
        """
    }

    /// Sets one column (`reward` or `advantage`) of many samples of a step: rows of (prompt, sample, value).
    public static func set(_ column: SampleValueColumn, runID: Int64, step: Int, rows: [(prompt: Int, sample: Int, value: Double)]) -> SQL {
        """
        UPDATE samples s SET \(unsafe: column.rawValue) = v.value
        FROM (VALUES \(rows: rows.map { [.int(Int64($0.prompt)), .int(Int64($0.sample)), .double($0.value)] })) AS v (p, j, value)
        WHERE s.run_id = \(runID) AND s.step = \(step) AND s.prompt_index = v.p AND s.sample_index = v.j
        """
    }
}

/// The per-sample numbers a stage sets on `samples`.
public enum SampleValueColumn: String, Sendable {
    case reward, advantage
}

extension SampleStatements {
    /// The newest step with scored samples and up to `limit` of its samples (the first `perPrompt` of each of the
    /// first prompts), without PNGs: what the dashboard shows of the latest rollout.
    public static func latestScored(runID: Int64, limit: Int, perPrompt: Int) -> SQL {
        """
        SELECT step, prompt_index, sample_index, line, prompt, reward, advantage FROM samples
        WHERE run_id = \(runID) AND step = (SELECT max(step) FROM samples WHERE run_id = \(runID) AND reward IS NOT NULL)
          AND sample_index < \(perPrompt)
        ORDER BY prompt_index, sample_index LIMIT \(limit)
        """
    }

    /// One rollout image.
    public static func png(runID: Int64, step: Int, prompt: Int, sample: Int) -> SQL {
        """
        SELECT png FROM samples
        WHERE run_id = \(runID) AND step = \(step) AND prompt_index = \(prompt) AND sample_index = \(sample)
        """
    }
}
