import Foundation
import Store

/// Extends a job's lease every lease/3 seconds from its own thread and connection while the stage computes; notes
/// when the lease was lost (the completion will then be rejected anyway).
final class Heartbeat: @unchecked Sendable {
    private let lock = NSLock()
    private var finished = false
    private var lostLease = false
    private let done = DispatchSemaphore(value: 0)

    init(url: String, job: ClaimedJob, leaseSeconds: Double) {
        let thread = Thread { [self] in
            defer { done.signal() }
            var connection: Connection?
            while !isFinished {
                let start = Date()
                while !isFinished && Date().timeIntervalSince(start) < leaseSeconds / 3 {
                    Thread.sleep(forTimeInterval: min(0.05, leaseSeconds / 30))
                }
                if isFinished { return }
                do {
                    if connection == nil || !(connection?.isHealthy ?? false) { connection = try Connection(url: url) }
                    try JobQueue(connection: connection!).heartbeat(job, leaseSeconds: leaseSeconds)
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

    private var isFinished: Bool { lock.withLock { finished } }

    /// True once a heartbeat found the lease gone.
    var lost: Bool { lock.withLock { lostLease } }

    /// Stops beating and waits for the thread.
    func stop() {
        lock.withLock { finished = true }
        done.wait()
    }
}
