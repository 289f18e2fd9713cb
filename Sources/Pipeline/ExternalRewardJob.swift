import Store
import Training

/// The jobs of external rewards (docs/external-rewards.md): for each rollout shard and each reward the run file
/// declares `external: true`, one job of stage `reward` that no Swift worker claims. A reward worker in any
/// language claims it through the SQL functions of migration 0009 (`flowcps_reward_claim` …), reads the shard's
/// images, and completes it by writing one `rewards` row per sample; that completion arrives at the step's score
/// barrier like an internal score job, so the advantage stage waits for every reward alike.
public enum ExternalRewardJob {
    /// The stage name of external reward jobs (not a `PipelineStage`: Swift workers never run it).
    public static let stage = "reward"

    /// Arrivals the score barrier of a step expects: each shard's internal score job and one job per external reward.
    static func expectedArrivals(shards: Int, config: RunConfig) -> Int {
        shards * (1 + config.externalRewards.count)
    }

    /// The job scoring `reward` on rollout shard `shard` (prompt indices `prompts`) of `step`. Its arguments are the
    /// only pointers a reward worker gets: the reward's name and the shard's prompt indices.
    static func spec(run: Int64, step: Int, shard: Int, prompts: [Int], reward: String, held: Bool) -> JobSpec {
        // Reward names are [a-z][a-z0-9_]* (validated with the run file) and indices are integers: no escaping needed.
        let args = "{\"reward\": \"\(reward)\", \"prompts\": [\(prompts.map(String.init).joined(separator: ", "))]}"
        return JobSpec(runID: run, stage: stage, step: step, shard: shard, priority: PipelineStage.score.priority,
                       args: args, dedupeKey: "\(stage):\(run):\(step):\(shard):\(reward)", held: held)
    }
}
