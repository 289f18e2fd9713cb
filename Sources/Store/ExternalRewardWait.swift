import Store

/// An external reward of a run whose jobs wait for a reward worker (view `external_reward_waits`).
public struct ExternalRewardWait: Sendable, Equatable {
    public let reward: String
    /// Jobs ready to be claimed, and being scored now.
    public let waiting: Int
    public let running: Int
    /// How long the oldest waiting job has gone unclaimed.
    public let seconds: Double

    public init(reward: String, waiting: Int, running: Int, seconds: Double) {
        self.reward = reward
        self.waiting = waiting
        self.running = running
        self.seconds = seconds
    }

    /// Waits shorter than this are a worker between two claims, not a missing worker.
    public static let noticeSeconds = 30.0

    /// "waiting for external reward align: no claim for 125 s (3 jobs)".
    public var message: String {
        "waiting for external reward \(reward): no claim for \(Int(seconds)) s (\(waiting) job\(waiting == 1 ? "" : "s"))"
    }

    /// The run's external rewards whose oldest claimable job has waited at least `noticeSeconds` while none of its
    /// jobs runs: no worker serves them (or too few do).
    public static func read(_ c: Connection, runID: Int64) throws -> [ExternalRewardWait] {
        try c.execute(ViewStatements.externalRewardWaits(runID: runID)).rows.compactMap { r in
            let w = ExternalRewardWait(reward: try r.string("reward"), waiting: try r.int("waiting"),
                                       running: try r.int("running"), seconds: try r.double("oldest_wait_seconds"))
            return w.waiting > 0 && w.running == 0 && w.seconds >= noticeSeconds ? w : nil
        }
    }
}
