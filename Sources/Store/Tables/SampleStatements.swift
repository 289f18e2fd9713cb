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

/// Statements on `trajectories`: states and old log-probs of each rollout chain.
public enum TrajectoryStatements {
    public static func insert(runID: Int64, step: Int, prompt: Int, sample: Int, states: [UInt8], logProbs: [UInt8]) -> SQL {
        """
        INSERT INTO trajectories (run_id, step, prompt_index, sample_index, states, log_probs, sha256)
        SELECT \(runID), \(step), \(prompt), \(sample), b.states, \(logProbs), encode(sha256(b.states), 'hex')
        FROM (SELECT \(states) AS states) b
        ON CONFLICT DO NOTHING
        """
    }

    public static func forStep(runID: Int64, step: Int) -> SQL {
        """
        SELECT prompt_index, sample_index, states, log_probs, sha256, encode(sha256(states), 'hex') AS actual
        FROM trajectories WHERE run_id = \(runID) AND step = \(step) ORDER BY prompt_index, sample_index
        """
    }

    /// Retention: a step's trajectories go once its train stage has consumed them.
    public static func delete(runID: Int64, step: Int) -> SQL {
        "DELETE FROM trajectories WHERE run_id = \(runID) AND step = \(step)"
    }
}

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

/// Statements on `metrics`.
public enum MetricStatements {
    public static func insert(runID: Int64, step: Int, name: String, value: Double) -> SQL {
        """
        INSERT INTO metrics (run_id, step, name, value) VALUES (\(runID), \(step), \(name), \(value))
        ON CONFLICT DO NOTHING
        """
    }

    public static func forRun(runID: Int64, prefix: String) -> SQL {
        """
        SELECT step, name, value FROM metrics WHERE run_id = \(runID) AND starts_with(name, \(prefix))
        ORDER BY step, name
        """
    }
}

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

    /// Per-category means of an eval step.
    public static func categories(runID: Int64, step: Int) -> SQL {
        """
        SELECT category, count(*) AS images, avg(strict::int)::float8 AS strict,
               avg((rewards->>'score')::float8)::float8 AS score, avg((rewards->>'accuracy')::float8)::float8 AS accuracy
        FROM eval_samples WHERE run_id = \(runID) AND step = \(step) GROUP BY category ORDER BY category
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

    /// The mean of each named reward over a step's samples, as `reward.<name>` metrics.
    public static func insertRewardMeans(runID: Int64, step: Int) -> SQL {
        """
        INSERT INTO metrics (run_id, step, name, value)
        SELECT run_id, step, 'reward.' || name, avg(value) FROM rewards
        WHERE run_id = \(runID) AND step = \(step) GROUP BY run_id, step, name
        ON CONFLICT DO NOTHING
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

extension MetricStatements {
    public static func all(runID: Int64) -> SQL {
        "SELECT step, name, value FROM metrics WHERE run_id = \(runID) ORDER BY step, name"
    }
}
