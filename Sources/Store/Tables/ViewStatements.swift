/// Statements on the analysts' views (migrations/0002_views.sql) that reports read.
public enum ViewStatements {
    /// Rollout reward statistics per step of one reward (`total`: the weighted sum trained on).
    /// The run's external rewards with jobs waiting for a reward worker (view `external_reward_waits`).
    public static func externalRewardWaits(runID: Int64) -> SQL {
        """
        SELECT reward, waiting, running, completed, coalesce(oldest_wait_seconds, 0) AS oldest_wait_seconds
        FROM external_reward_waits WHERE run_id = \(runID) ORDER BY reward
        """
    }

    public static func rewardCurve(runID: Int64, reward: String) -> SQL {
        """
        SELECT step, mean, p10, median, p90 FROM reward_curve WHERE run_id = \(runID) AND reward = \(reward) ORDER BY step
        """
    }

    /// Eval accuracy per step and category (`overall` included).
    public static func evalCurve(runID: Int64) -> SQL {
        """
        SELECT step, category, prompts, strict, accuracy, noise FROM eval_curve WHERE run_id = \(runID)
        ORDER BY category, step
        """
    }

    /// The values of the metrics named in `names` (comma-separated) per step.
    public static func metrics(runID: Int64, names: String) -> SQL {
        """
        SELECT step, name, value FROM run_metrics
        WHERE run_id = \(runID) AND name = ANY (string_to_array(\(names), ',')) ORDER BY name, step
        """
    }

    /// Step wall time and its queue and data-write parts.
    public static func stepTimings(runID: Int64) -> SQL {
        """
        SELECT step, step_seconds, queue_seconds, write_seconds FROM step_timings
        WHERE run_id = \(runID) AND step_seconds IS NOT NULL ORDER BY step
        """
    }

    /// Rollout reward statistics per step of one reward, with the standard deviation (the exported curves).
    public static func rewardStatistics(runID: Int64, reward: String) -> SQL {
        """
        SELECT step, mean, std, p10, p90 FROM reward_curve WHERE run_id = \(runID) AND reward = \(reward) ORDER BY step
        """
    }

    /// Mean of one reward over each evaluation's images (`score`: the geneval or ocr partial score).
    public static func evalRewardMean(runID: Int64, reward: String) -> SQL {
        """
        SELECT step, avg(value ORDER BY line) AS mean FROM eval_rewards WHERE run_id = \(runID) AND reward = \(reward)
        GROUP BY step ORDER BY step
        """
    }
}

extension ViewStatements {
    /// A run's jobs by stage and state (view `queue_depth`).
    public static func queueDepth(runID: Int64) -> SQL {
        """
        SELECT stage, pending, available, running, completed, failed, cancelled FROM queue_depth
        WHERE run_id = \(runID) ORDER BY stage
        """
    }

    /// Every run's external rewards waiting for a reward worker (view `external_reward_waits`).
    public static let allExternalRewardWaits: SQL = """
        SELECT run, reward, waiting, running, completed, coalesce(oldest_wait_seconds, 0) AS oldest_wait_seconds
        FROM external_reward_waits ORDER BY run, reward
        """

    /// The last `points` rollout reward means (trained-on total) of every run, for sparklines.
    public static func recentRewardMeans(points: Int) -> SQL {
        """
        SELECT run_id, step, value FROM (
            SELECT run_id, step, value, row_number() OVER (PARTITION BY run_id ORDER BY step DESC) AS k
            FROM metrics WHERE name = 'reward.mean') m
        WHERE k <= \(points) ORDER BY run_id, step
        """
    }
}
