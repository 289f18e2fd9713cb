/// A run's state (`runs.state`).
public enum RunState: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Its jobs are claimable.
    case active
    /// Held by a user or by a failure that retrying cannot fix: its jobs wait until `flowcps run resume`.
    case paused
    /// Every step trained and the final evaluation written.
    case completed
    /// Stopped for good by a user.
    case cancelled
    /// Stopped for good by the pipeline.
    case failed

    public var description: String { rawValue }

    /// True once the run can make no more progress by itself.
    public var isFinished: Bool { self == .completed || self == .cancelled || self == .failed }
}

/// A job's state (`jobs.state`).
public enum JobState: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Waits for its run to be resumed.
    case pending
    /// Claimable from its scheduled time.
    case available
    /// Leased by a worker.
    case running
    case completed
    /// Out of attempts, or failed for good.
    case failed
    case cancelled

    public var description: String { rawValue }
}
