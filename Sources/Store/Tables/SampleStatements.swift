/// Statements on `samples`, one row per rollout image.
public enum SampleStatements {
    public static func insert(runID: Int64, step: Int, prompt: Int, sample: Int, line: Int, text: String, seed: UInt64,
                              png: [UInt8]) -> SQL {
        """
        INSERT INTO samples (run_id, step, prompt_index, sample_index, line, prompt, seed, png)
        VALUES (\(runID), \(step), \(prompt), \(sample), \(line), \(text), \(seed), \(png))
        ON CONFLICT DO NOTHING
        """
    }

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

    public static func setReward(runID: Int64, step: Int, prompt: Int, sample: Int, reward: Double) -> SQL {
        """
        UPDATE samples SET reward = \(reward)
        WHERE run_id = \(runID) AND step = \(step) AND prompt_index = \(prompt) AND sample_index = \(sample)
        """
    }

    public static func setAdvantage(runID: Int64, step: Int, prompt: Int, sample: Int, advantage: Double) -> SQL {
        """
        UPDATE samples SET advantage = \(advantage)
        WHERE run_id = \(runID) AND step = \(step) AND prompt_index = \(prompt) AND sample_index = \(sample)
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
