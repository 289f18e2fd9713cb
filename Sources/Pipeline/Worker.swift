import Foundation
import GRPO
import Imaging
import Logging
import Model
import Rewards
import Sampling
import Scenes
import Store
import Training

/// How a worker claims and runs jobs.
public struct WorkerOptions: Sendable {
    /// Stages this worker takes (all by default).
    public var stages: [PipelineStage] = PipelineStage.allCases
    /// Threads for sampling stages (rollout, eval); nil: the run's `model.threads`. Training always uses the run's.
    public var threads: Int?
    public var leaseSeconds = 30.0
    /// Longest wait for a NOTIFY before polling again.
    public var pollSeconds = 1.0
    /// How often this worker runs the reaper (any worker may: it claims expired rows with SKIP LOCKED).
    public var reapEverySeconds = 5.0
    /// First retry delay of a failed job (doubling per attempt, ±10 %).
    public var retryBaseSeconds = 2.0
    /// Fire due schedules (whichever worker holds the scheduler's lock does; see `Schedules`).
    public var fireSchedules = true
    /// Exit once no run has a job left that could still run (tests, the demo).
    public var exitWhenIdle = false
    /// Longest a job of each stage may run (`defaultJobTimeout` for stages not listed): past it the heartbeat
    /// fails the attempt (the job is retried), and if the stage still has not returned a lease later, the process
    /// exits for its supervisor to restart (a hung thread cannot be stopped any other way).
    public var jobTimeouts: [PipelineStage: Double] = [:]
    public static let defaultJobTimeout = 3600.0
    /// Seconds to wait between a stage's computation and its commit (tests widen the window in which a kill
    /// lands mid-job; never set in production).
    public var debugStageDelay = 0.0
    /// Lease owner name: host, process id and a random suffix.
    public var owner = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
    /// Told of every job this worker finishes, fails or loses, and of leases its reaper expires (the worker's
    /// `--metrics-port` counts them); called on the worker's thread, so it must return quickly.
    public var observer: (@Sendable (WorkerEvent) -> Void)?

    public init() {}
}

/// Something a worker did, for its metrics.
public enum WorkerEvent: Sendable, Equatable {
    /// A job of `stage` committed after `seconds` (claim to commit).
    case completed(stage: String, seconds: Double)
    /// An attempt failed; `retried` when the job went back to the queue.
    case failed(stage: String, retried: Bool)
    /// This worker's lease on a job was lost (its result was discarded).
    case lostLease(stage: String)
    /// The reaper found an expired lease of another worker and requeued (or failed) the job.
    case reaped
}

/// What a worker did before it stopped.
public struct WorkerSummary: Sendable {
    public var completed = 0
    public var failed = 0
    public var lostLeases = 0
}

/// A stateless `flowcps worker`: claims any ready job (one statement, SKIP LOCKED), runs its stage function with a
/// heartbeat extending the lease, and commits outputs, completion and next jobs in one transaction. Survives a
/// database restart by reconnecting; on SIGTERM/SIGINT it finishes the current job and stops claiming.
public final class Worker {
    let url: String
    let options: WorkerOptions
    var logger: Logger
    let cache = CheckpointCache()
    let states = PolicyStateCache()
    let runs = RunContextCache()
    var summary = WorkerSummary()

    public init(url: String, options: WorkerOptions, logger: Logger) {
        self.url = url
        self.options = options
        self.logger = logger
        self.logger[metadataKey: "worker"] = "\(options.owner)"
    }

    /// Runs until `stop` is requested (or, with `exitWhenIdle`, no work is left).
    public func run(stop: StopSignal) throws -> WorkerSummary {
        var lastReap = -Double.infinity  // monotonic seconds (systemUptime): immune to wall-clock steps
        var connection: Connection?, listener: Connection?
        var consecutiveErrors = 0
        logger.info("worker started", metadata: ["stages": "\(options.stages.map(\.rawValue).joined(separator: ","))"])
        while !stop.isRequested {
            do {
                if connection == nil || !connection!.isHealthy {
                    connection = try Connection.open(url: url, retry: .default) { [logger] e, wait in
                        logger.warning("database unreachable, retrying in \(String(format: "%.1f", wait)) s: \(e)")
                    }
                    try connection!.secure(statementTimeout: Worker.statementTimeout, idleInTransactionTimeout: 60)
                }
                if listener == nil || !listener!.isHealthy {
                    listener = try Connection(url: url)
                    try listener!.secure(statementTimeout: 10, idleInTransactionTimeout: 60)
                    try listener!.listen("flowcps_jobs")
                }
                let c = connection!
                if ProcessInfo.processInfo.systemUptime - lastReap >= options.reapEverySeconds {
                    try reap(c)
                    if options.fireSchedules { try fireSchedules(c) }
                    lastReap = ProcessInfo.processInfo.systemUptime
                }
                let queue = JobQueue(connection: c)
                let clock = QueueClock()
                guard let job = try clock.measure({
                    try queue.claim(owner: options.owner, stages: options.stages.map(\.rawValue),
                                    leaseSeconds: options.leaseSeconds).first
                }) else {
                    if options.exitWhenIdle, try Worker.idle(c) { break }
                    _ = try listener!.waitForNotifications(timeout: options.pollSeconds)
                    continue
                }
                try process(job, connection: c, clock: clock)
                consecutiveErrors = 0
            } catch let e as StoreError where e.isTransient {
                logger.warning("database connection lost: \(e); reconnecting")
                connection = nil
                listener = nil
                Thread.sleep(forTimeInterval: 0.2)
            } catch {
                // Any other error outside a stage (disk full, a full NOTIFY queue, out of memory): log, back off and
                // go on (audit M3). Leases of a job caught mid-way expire and the reaper retries it.
                consecutiveErrors += 1
                let wait = min(30, 0.5 * pow(2, Double(min(consecutiveErrors, 7) - 1)))
                logger.error("database error outside a stage, retrying in \(String(format: "%.1f", wait)) s: \(error)")
                connection = nil
                listener = nil
                if options.exitWhenIdle && consecutiveErrors >= Worker.idleErrorLimit { throw error }
                stop.sleep(wait)
            }
        }
        logger.info("worker stopped", metadata: ["completed": "\(summary.completed)", "failed": "\(summary.failed)"])
        return summary
    }

    /// True when no job of any run is available (now or after a backoff) or running; held jobs of paused runs
    /// do not count.
    static func idle(_ c: Connection) throws -> Bool {
        let counts = try JobQueue(connection: c).counts()
        return (counts[.available] ?? 0) + (counts[.running] ?? 0) == 0
    }

    /// Longest statement on the worker's connection, in seconds (the largest checkpoint write included).
    static let statementTimeout = 300.0

    /// An `exitWhenIdle` worker gives up after this many errors in a row outside a stage (a service never does).
    static let idleErrorLimit = 8

    /// Requeues expired leases, then pauses every active run left with a job that failed for good: a job whose
    /// attempts the reaper spent, or a failure whose pause never committed (audit M2: no run stays active with a
    /// failed job, whatever crashed when).
    func reap(_ c: Connection) throws {
        for r in try JobQueue(connection: c).reapExpired(retryBaseSeconds: options.retryBaseSeconds) {
            logger.warning("lease expired: job \(r.id) back to \(r.state)", metadata: ["run": "\(r.runID)", "job": "\(r.id)"])
            options.observer?(.reaped)
        }
        for runID in try c.execute(JobStatements.strandedRuns).rows.map({ Int64(try $0.int("run_id")) }) {
            try c.transaction { c in
                _ = try c.execute(RunStatements.lock(runID))
                guard let job = try c.execute(JobStatements.firstFailed(runID: runID)).single() else { return }
                let error = try job.optionalString("error") ?? "unknown error"
                let reason = error.hasPrefix("lease expired")
                    ? "job \(try job.int("id")) failed after \(try job.int("attempt")) attempts (its worker died each time)"
                    : "\(try job.string("stage")) step \(try job.int("step")) shard \(try job.int("shard")) failed: \(error)"
                try pause(c, runID: runID, reason: reason)
            }
        }
    }

    /// Submits the runs of due schedules (if this worker wins the scheduler's lock).
    func fireSchedules(_ c: Connection) throws {
        do {
            for f in try Schedules(connection: c).fireDue() {
                if let run = f.run {
                    let missed = f.missed > 0 ? " (\(f.missed) earlier due times missed while no worker ran)" : ""
                    logger.info("schedule \(f.schedule) fired: submitted run \(run)\(missed)")
                } else {
                    logger.error("schedule \(f.schedule) could not fire: \(f.error ?? "unknown error")")
                }
            }
        } catch let e as StoreError where e.isTransient {
            throw e
        } catch {
            logger.error("scheduler: \(error)")
        }
    }

    /// Runs one claimed job; `clock` holds its claim's time and collects its other queue statements'.
    func process(_ job: ClaimedJob, connection c: Connection, clock: QueueClock) throws {
        var log = logger
        log[metadataKey: "run"] = "\(job.runID)"
        log[metadataKey: "step"] = "\(job.step)"
        log[metadataKey: "stage"] = "\(job.stage)"
        log[metadataKey: "job"] = "\(job.id)"
        if job.shard > 0 { log[metadataKey: "shard"] = "\(job.shard)" }
        let limit = PipelineStage(rawValue: job.stage).flatMap { options.jobTimeouts[$0] } ?? WorkerOptions.defaultJobTimeout
        let heartbeat = Heartbeat(url: url, job: job, leaseSeconds: options.leaseSeconds, timeLimit: limit,
                                  retryBaseSeconds: options.retryBaseSeconds, logger: log)
        defer { heartbeat.stop() }
        let start = Date(), claimed = clock.seconds
        do {
            guard let stage = PipelineStage(rawValue: job.stage) else {
                throw PipelineError.invalid("unknown stage \"\(job.stage)\"")
            }
            // Loading the run (state, version; config and prompt sets when not cached) counts with the queue.
            let run = try clock.measure { try RunContext.load(c, id: job.runID, cache: runs) }
            let threads = stage == .train ? run.config.model.threads : (options.threads ?? run.config.model.threads)
            let env = JobEnvironment(connection: c, run: run, job: job, cache: cache, states: states, threads: threads, clock: clock)
            let output = try JobDispatch.run(stage, env)
            let computed = Date().timeIntervalSince(start) - (clock.seconds - claimed)
            if options.debugStageDelay > 0 { Thread.sleep(forTimeInterval: options.debugStageDelay) }
            // A lease the heartbeat already found lost (or the time limit handed back): the fenced commit would
            // be refused anyway, after writing everything; give up before (audit L1).
            if heartbeat.lost { throw LeaseLost(jobID: job.id, attempt: job.attempt) }
            var written = 0.0, committing = Date()
            try c.transaction { c in
                let writing = Date(), queued = clock.seconds
                guard let row = try c.execute(RunStatements.share(job.runID)).single() else {
                    throw PipelineError.invalid("run \(job.runID) was deleted")
                }
                try output.write(c, try row.string("state") == RunState.paused.rawValue)
                written = Date().timeIntervalSince(writing) - (clock.seconds - queued)
                try clock.measure { try JobQueue(connection: c).complete(job) }
                for (name, value) in [("seconds.\(job.stage)", computed), ("seconds.write", written),
                                      ("seconds.queue", clock.seconds)] {
                    try c.execute(MetricStatements.add(runID: job.runID, step: job.step, name: name, value: value))
                }
                committing = Date()
            }
            summary.completed += 1
            options.observer?(.completed(stage: job.stage, seconds: Date().timeIntervalSince(start) + claimed))
            log.info("done", metadata: [
                "seconds": "\(ms(Date().timeIntervalSince(start) + claimed))", "compute": "\(ms(computed))",
                "write": "\(ms(written))", "queue": "\(ms(clock.seconds))", "commit": "\(ms(Date().timeIntervalSince(committing)))",
            ])
        } catch let e as LeaseLost {
            summary.lostLeases += 1
            options.observer?(.lostLease(stage: job.stage))
            log.warning("\(e)")
        } catch let e as StoreError where e.isTransient {
            throw e
        } catch {
            let permanent = Worker.isDeterministic(error)
            let message = "\(error)"
            do {
                // The failure and, when it is for good, the run's pause commit together (audit M2).
                var state = JobState.failed
                try c.transaction { c in
                    _ = try c.execute(RunStatements.lock(job.runID))
                    state = try JobQueue(connection: c).fail(job, error: message, retryBaseSeconds: options.retryBaseSeconds,
                                                             permanent: permanent).state
                    if state == .failed {
                        try pause(c, runID: job.runID, reason: "\(job.stage) step \(job.step) shard \(job.shard) failed: \(message)")
                    }
                }
                summary.failed += 1
                options.observer?(.failed(stage: job.stage, retried: state != .failed))
                log.error("failed (attempt \(job.attempt) of \(job.maxAttempts)): \(message); job \(state)")
            } catch is LeaseLost {
                summary.lostLeases += 1
                options.observer?(.lostLease(stage: job.stage))
                log.warning("failed, but the lease was already lost: \(message)")
            }
        }
    }

    /// True for an error that retrying cannot change: stages are pure functions of their input rows, so an error
    /// of the numeric, reward, prompt, image or configuration code (or a permanent pipeline error) comes back
    /// with the same inputs. Such a job fails once and pauses its run with the message (no retries).
    static func isDeterministic(_ error: Error) -> Bool {
        switch error {
        case let e as PipelineError: return e.isPermanent
        case is RewardError, is ConfigError, is PromptError, is ModelError, is SamplingError, is GRPOError, is ImagingError:
            return true
        default: return false
        }
    }

    /// Pauses a run (if active) with the reason a job failed for good, inside the caller's transaction, which has
    /// locked the run row.
    func pause(_ c: Connection, runID: Int64, reason: String) throws {
        if try c.execute(RunStatements.transition(id: runID, from: [.active], to: .paused, reason: reason)).affectedRows == 1 {
            try c.execute(JobStatements.hold(runID: runID))
            logger.error("run paused: \(reason)", metadata: ["run": "\(runID)"])
        }
    }
}

/// Seconds with three decimals, for log lines.
private func ms(_ seconds: Double) -> String { String(format: "%.3f", seconds) }
