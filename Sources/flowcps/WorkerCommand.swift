import ArgumentParser
import Dashboard
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
    @Option(name: .customLong("job-timeout"), help: ArgumentHelp(
        "Longest a job may run, in seconds: SECONDS for every stage or STAGE=SECONDS for one (repeatable; default 3600).",
        discussion: "Past it the job is handed back as a failed attempt (retried elsewhere); a stage that still does "
            + "not return makes this worker exit (status 75) for its supervisor to restart it."))
    var jobTimeouts: [String] = []
    @Option(help: .hidden)
    var debugStageDelay = 0.0
    @Flag(help: "Exit when no run has a job left to run.")
    var exitWhenIdle = false
    @Flag(help: "Never fire due schedules (by default any worker may; exactly one does per due time).")
    var noSchedules = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"
    @Option(help: "Serve this worker's own Prometheus metrics on this port (GET /metrics; 0: any free port).")
    var metricsPort: Int?
    @Option(help: "Address the metrics endpoint binds.")
    var metricsHost = "127.0.0.1"

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
        _ = try parsedTimeouts()
        if let metricsPort, !(0...65_535).contains(metricsPort) {
            throw ValidationError("--metrics-port must be in 0…65535, got \(metricsPort)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \(logLevel)") }
        if let stages {
            for s in stages.split(separator: ",") where PipelineStage(rawValue: String(s)) == nil {
                throw ValidationError("--stages: unknown stage \"\(s)\" (plan, rollout, score, advantage, train, eval)")
            }
        }
    }

    /// `--job-timeout` values: a bare number sets every stage's limit, `stage=seconds` one stage's.
    func parsedTimeouts() throws -> [PipelineStage: Double] {
        var out: [PipelineStage: Double] = [:]
        for value in jobTimeouts {
            let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
            guard let seconds = Double(parts.last ?? ""), seconds >= 1 && seconds <= 7 * 86_400 else {
                throw ValidationError("--job-timeout: \"\(value)\" is not SECONDS or STAGE=SECONDS with seconds in 1…604800")
            }
            if parts.count == 1 {
                for stage in PipelineStage.allCases { out[stage] = seconds }
            } else if let stage = PipelineStage(rawValue: parts[0]) {
                out[stage] = seconds
            } else {
                throw ValidationError("--job-timeout: unknown stage \"\(parts[0])\" (plan, rollout, score, advantage, train, eval)")
            }
        }
        return out
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
        options.jobTimeouts = try parsedTimeouts()
        if let metricsPort {
            let metrics = WorkerMetrics()
            options.observer = { metrics.record($0) }
            var serverLogger = Logger(label: "flowcps.worker.metrics")
            serverLogger.logLevel = .warning
            let server = try RunningServer.start(router: WorkerMetrics.router(metrics), host: metricsHost, port: metricsPort,
                                                 logger: serverLogger, shutdownOnSignals: false)
            FlowCPS.note("worker metrics: http://\(metricsHost):\(server.port)/metrics")
        }
        let stop = StopSignal()
        stop.installSignalHandlers()
        let summary = try Worker(url: DatabaseLocation.fromEnvironment().connectionString, options: options,
                                 logger: logger).run(stop: stop)
        FlowCPS.note("worker: \(summary.completed) jobs done, \(summary.failed) failed attempts, \(summary.lostLeases) lost leases")
    }
}
