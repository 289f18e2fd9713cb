import ArgumentParser
import Foundation
import Logging
import Pipeline
import Store

/// `flowcps worker`: a stateless process that claims and runs pipeline jobs of any run.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Claim and run pipeline jobs (plan, rollout, score, advantage, train, eval) of every run.",
        discussion: """
        Start as many as you like, on as many machines as share the database (FLOWCPS_DATABASE_URL). A killed \
        worker loses nothing: its lease expires and another worker runs the job again, with the same result. \
        SIGTERM or SIGINT: finish the current job, claim no more, exit 0. Logs one line per job on stderr.
        """
    )

    @Option(help: "Stages to take, comma-separated (default: all).")
    var stages: String?
    @Option(help: "Threads for rollout and eval jobs (default: the run's model.threads; training always uses the run's).")
    var threads: Int?
    @Option(help: "Lease length in seconds; the heartbeat renews it every third of it.")
    var lease = 30.0
    @Option(help: "Longest wait for a wake-up notification before polling again, in seconds.")
    var poll = 1.0
    @Option(help: "First retry delay of a failed job in seconds (doubles per attempt).")
    var retryBase = 2.0
    @Option(help: "How often this worker looks for expired leases, in seconds.")
    var reapEvery = 5.0
    @Option(help: .hidden)
    var debugStageDelay = 0.0
    @Flag(help: "Exit when no run has a job left to run.")
    var exitWhenIdle = false
    @Flag(help: "Never fire due schedules (by default any worker may; exactly one does per due time).")
    var noSchedules = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    func validate() throws {
        if let threads, threads < 1 || threads > 64 { throw ValidationError("--threads must be in 1…64, got \(threads)") }
        // `!(x >= lo)` and `!(x <= hi)` are also true for NaN: every number must be finite and in range.
        if !(lease >= 3 && lease <= 86_400) { throw ValidationError("--lease must be in 3…86400 seconds, got \(lease)") }
        if !(poll > 0 && poll <= 3600) { throw ValidationError("--poll must be in (0, 3600] seconds, got \(poll)") }
        if !(reapEvery > 0 && reapEvery <= 3600) {
            throw ValidationError("--reap-every must be in (0, 3600] seconds, got \(reapEvery)")
        }
        if !(retryBase >= 0 && retryBase <= 3600) {
            throw ValidationError("--retry-base must be in 0…3600 seconds, got \(retryBase)")
        }
        if !(debugStageDelay >= 0 && debugStageDelay <= 3600) {
            throw ValidationError("--debug-stage-delay must be in 0…3600 seconds, got \(debugStageDelay)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \(logLevel)") }
        if let stages {
            for s in stages.split(separator: ",") where PipelineStage(rawValue: String(s)) == nil {
                throw ValidationError("--stages: unknown stage \"\(s)\" (plan, rollout, score, advantage, train, eval)")
            }
        }
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "flowcps.worker")
        _ = try DB.connect()  // starts and migrates the embedded database when that is the one
        FlowCPS.note(DatabaseLocation.fromEnvironment().summary)
        var options = WorkerOptions()
        options.fireSchedules = !noSchedules
        if let stages { options.stages = stages.split(separator: ",").compactMap { PipelineStage(rawValue: String($0)) } }
        options.threads = threads
        options.leaseSeconds = lease
        options.pollSeconds = poll
        options.retryBaseSeconds = retryBase
        options.exitWhenIdle = exitWhenIdle
        options.reapEverySeconds = reapEvery
        options.debugStageDelay = debugStageDelay
        let stop = StopSignal()
        stop.installSignalHandlers()
        let summary = try Worker(url: DatabaseLocation.fromEnvironment().connectionString, options: options,
                                 logger: logger).run(stop: stop)
        FlowCPS.note("worker: \(summary.completed) jobs done, \(summary.failed) failed attempts, \(summary.lostLeases) lost leases")
    }
}
