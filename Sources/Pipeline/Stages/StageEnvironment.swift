import Store
import Training

/// What a stage job has to work with: a connection for its reads, its run, its claimed job, the worker's
/// checkpoint cache and thread count.
struct StageEnvironment {
    let connection: Connection
    let run: RunContext
    let job: ClaimedJob
    let cache: CheckpointCache
    /// Threads for sampling (rollout, eval); training uses the run's `model.threads`, which fixes its sums' order.
    let threads: Int
    /// Collects the time of the job's queue statements.
    let clock: QueueClock

    var step: Int { job.step }
    var config: RunConfig { run.config }
    /// The stage graph's writer on the completing transaction's connection.
    func graph(_ c: Connection) -> StageGraphWriter { StageGraphWriter(connection: c, run: run, clock: clock) }
}

/// A stage's results, written by `write` inside the transaction that completes the job; `held` says the run is
/// paused, so the jobs that follow are enqueued held.
struct StageOutput {
    let write: (_ connection: Connection, _ held: Bool) throws -> Void
}

/// The stage functions the worker runs, by stage name.
enum StageJobs {
    static func run(_ stage: PipelineStage, _ env: StageEnvironment) throws -> StageOutput {
        switch stage {
        case .plan: try PlanJob.run(env)
        case .rollout: try RolloutJob.run(env)
        case .score: try ScoreJob.run(env)
        case .advantage: try AdvantageJob.run(env)
        case .train: try TrainJob.run(env)
        case .eval: try EvalJob.run(env)
        }
    }
}
