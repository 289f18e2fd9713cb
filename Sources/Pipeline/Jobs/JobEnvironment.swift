import Store
import Training

/// What a job has to work with: a connection for its reads, its run, its claimed job, the worker's
/// checkpoint and training-state caches and thread count.
struct JobEnvironment {
    let connection: Connection
    let run: RunContext
    let job: ClaimedJob
    let cache: CheckpointCache
    /// The training state the worker's last train job left in memory.
    let states: PolicyStateCache
    /// Threads for sampling (rollout, eval); training uses the run's `model.threads`, which fixes its sums' order.
    let threads: Int
    /// Collects the time of the job's queue statements.
    let clock: QueueClock

    var step: Int { job.step }
    var config: RunConfig { run.config }
    /// The stage graph's writer on the completing transaction's connection.
    func graph(_ c: Connection) -> StageGraphWriter { StageGraphWriter(connection: c, run: run, clock: clock) }
}

/// A job's results, written by `write` inside the transaction that completes the job; `held` says the run is
/// paused, so the jobs that follow are enqueued held.
struct JobOutput {
    let write: (_ connection: Connection, _ held: Bool) throws -> Void
}

/// The job of each pipeline stage (each wraps a stage function of Training/Stages over rows), by stage name.
enum JobDispatch {
    static func run(_ stage: PipelineStage, _ env: JobEnvironment) throws -> JobOutput {
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

extension Array {
    /// The elements in consecutive batches of at most `size`: a job writes each table's rows in few statements,
    /// each well under PostgreSQL's 65,535 parameters.
    func batches(of size: Int = 1000) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
