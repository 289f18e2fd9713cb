import Foundation
import Logging
import Store

/// Extends a job's lease every lease/3 seconds from its own thread and connection while the stage computes; notes
/// when the lease was lost (the completion will then be rejected anyway). It also enforces the job's time limit
/// (audit M1): past it, the attempt is failed (the job goes back to the queue, or fails for good when its attempts
/// are spent, and the reaper then pauses its run); if the stage has still not returned two leases later, the
/// process exits with status 75 so that a supervisor restarts it: a hung stage cannot hold a run, nor a worker.
final class Heartbeat: @unchecked Sendable {
    private let lock = NSLock()
    private var finished = false
    private var lostLease = false
    private let done = DispatchSemaphore(value: 0)

    init(url: String, job: ClaimedJob, leaseSeconds: Double, timeLimit: Double, retryBaseSeconds: Double, logger: Logger) {
        let thread = Thread { [self] in
            defer { done.signal() }
            // The monotonic clock: a wall-clock step (NTP) must not stall heartbeats or end a job early.
            let clock = ProcessInfo.processInfo
            let started = clock.systemUptime
            var connection: Connection?
            func connected() throws -> Connection {
                if let c = connection, c.isHealthy { return c }
                let c = try Connection(url: url)
                try c.secure(statementTimeout: 10, idleInTransactionTimeout: 10)
                connection = c
                return c
            }
            while !isFinished {
                let beat = clock.systemUptime
                while !isFinished && clock.systemUptime - beat < leaseSeconds / 3 {
                    Thread.sleep(forTimeInterval: min(0.05, leaseSeconds / 30))
                }
                if isFinished { return }
                if clock.systemUptime - started > timeLimit {
                    timeOut(connected, job: job, limit: timeLimit, grace: 2 * leaseSeconds, retryBase: retryBaseSeconds,
                            logger: logger)
                    return
                }
                do {
                    try JobQueue(connection: try connected()).heartbeat(job, leaseSeconds: leaseSeconds)
                } catch is LeaseLost {
                    lock.withLock { lostLease = true }
                    return
                } catch {
                    connection = nil  // the database is away: try again next beat
                }
            }
        }
        thread.start()
    }

    /// Fails the attempt with the reason (fenced: a lost lease changes nothing), stops renewing, and exits the
    /// process if the stage does not return within `grace` seconds.
    private func timeOut(_ connected: () throws -> Connection, job: ClaimedJob, limit: Double, grace: Double,
                         retryBase: Double, logger: Logger) {
        lock.withLock { lostLease = true }
        let reason = "timed out: the \(job.stage) job ran past its \(Int(limit)) s limit (--job-timeout)"
        do {
            let r = try JobQueue(connection: try connected()).fail(job, error: reason, retryBaseSeconds: retryBase)
            logger.error("\(reason); job \(r.state)")
        } catch {
            logger.error("\(reason); the lease will expire (\(error))")
        }
        let deadline = ProcessInfo.processInfo.systemUptime + grace
        while !isFinished && ProcessInfo.processInfo.systemUptime < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if !isFinished {
            logger.critical("the \(job.stage) stage has not returned \(Int(grace)) s after its time limit: exiting so that a supervisor restarts this worker")
            exit(75)
        }
    }

    private var isFinished: Bool { lock.withLock { finished } }

    /// True once a heartbeat found the lease gone (or the time limit handed the job back).
    var lost: Bool { lock.withLock { lostLease } }

    /// Stops beating and waits for the thread.
    func stop() {
        lock.withLock { finished = true }
        done.wait()
    }
}
