import Foundation

/// Wall time a job spends in queue statements (claim, next-job enqueues, barriers, completion), kept apart from
/// its stage's computation and data writes so the worker can report the queue's share of an RL step.
final class QueueClock {
    private(set) var seconds = 0.0

    /// Adds time measured elsewhere (the claim, before the job existed).
    func add(_ s: Double) { seconds += s }

    /// Runs `body`, adding its wall time.
    func measure<T>(_ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        return try body()
    }
}
