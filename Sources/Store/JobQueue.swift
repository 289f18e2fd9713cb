/// A job to enqueue: which run, stage, step and shard, its priority, and a dedupe key that makes the enqueue
/// idempotent (`rollout:<run>:<step>:<shard>`).
public struct JobSpec: Sendable, Equatable {
    public var runID: Int64
    public var stage: String
    public var step: Int
    public var shard: Int
    public var priority: Int
    public var maxAttempts: Int
    /// JSON object of pointers (indices, names), never tensors.
    public var args: String
    public var dedupeKey: String
    /// Enqueue as `pending` (its run is paused) instead of `available`.
    public var held: Bool

    public init(runID: Int64, stage: String, step: Int, shard: Int = 0, priority: Int = 0, maxAttempts: Int = 5,
                args: String = "{}", dedupeKey: String? = nil, held: Bool = false) {
        self.runID = runID
        self.stage = stage
        self.step = step
        self.shard = shard
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.args = args
        self.dedupeKey = dedupeKey ?? "\(stage):\(runID):\(step):\(shard)"
        self.held = held
    }
}

/// A job a worker holds a lease on. `attempt` and `owner` fence every later write.
public struct ClaimedJob: Sendable, Equatable {
    public let id: Int64
    public let runID: Int64
    public let stage: String
    public let step: Int
    public let shard: Int
    public let attempt: Int
    public let maxAttempts: Int
    public let priority: Int
    public let args: String
    public let owner: String

    init(row: Row, owner: String) throws {
        id = Int64(try row.int("id"))
        runID = Int64(try row.int("run_id"))
        stage = try row.string("stage")
        step = try row.int("step")
        shard = try row.int("shard")
        attempt = try row.int("attempt")
        maxAttempts = try row.int("max_attempts")
        priority = try row.int("priority")
        args = try row.string("args")
        self.owner = owner
    }
}

/// A job the reaper or a failure moved on: back to `available` (retried later) or `failed` (attempts spent).
public struct RequeuedJob: Sendable, Equatable {
    public let id: Int64
    public let runID: Int64
    public let state: JobState
    public let attempt: Int
}

/// The worker lost its lease (the reaper gave the job to another worker, or the run was cancelled): nothing it
/// computed may be written.
public struct LeaseLost: Error, Equatable, CustomStringConvertible {
    public let jobID: Int64
    public let attempt: Int

    public init(jobID: Int64, attempt: Int) {
        self.jobID = jobID
        self.attempt = attempt
    }

    public var description: String { "lease lost on job \(jobID) (attempt \(attempt)): its results are discarded" }
}

/// The job queue's operations on one connection (docs/architecture.md §3). Each is one statement; `complete` and `fail` are
/// meant to run inside the transaction that also writes the stage's outputs and enqueues what comes next.
public struct JobQueue {
    public let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// Enqueues a job; returns its id, or nil when a job with its dedupe key already exists.
    @discardableResult
    public func enqueue(_ job: JobSpec) throws -> Int64? {
        try connection.execute(JobStatements.insert(job)).rows.first.map { Int64(try $0.int("id")) }
    }

    /// Claims up to `limit` available jobs of `stages` (all stages when empty), highest priority first.
    public func claim(owner: String, stages: [String] = [], limit: Int = 1, leaseSeconds: Double) throws -> [ClaimedJob] {
        let sql = JobStatements.claim(owner: owner, stages: stages.joined(separator: ","), limit: limit,
                                      leaseSeconds: leaseSeconds)
        return try connection.execute(sql).rows.map { try ClaimedJob(row: $0, owner: owner) }
    }

    /// Extends the lease; throws `LeaseLost` when the job is no longer this attempt's.
    public func heartbeat(_ job: ClaimedJob, leaseSeconds: Double) throws {
        let n = try connection.execute(JobStatements.heartbeat(id: job.id, attempt: job.attempt, owner: job.owner,
                                                               leaseSeconds: leaseSeconds)).affectedRows
        if n != 1 { throw LeaseLost(jobID: job.id, attempt: job.attempt) }
    }

    /// Marks the job completed; throws `LeaseLost` (so the enclosing transaction rolls back) when the fence fails.
    public func complete(_ job: ClaimedJob) throws {
        let n = try connection.execute(JobStatements.complete(id: job.id, attempt: job.attempt, owner: job.owner))
            .affectedRows
        if n != 1 { throw LeaseLost(jobID: job.id, attempt: job.attempt) }
    }

    /// Records a failed attempt: retried after `retryBase · 2^(attempt−1)` seconds (±10 %), or failed for good when
    /// attempts are spent or the error is `permanent` (retrying cannot help).
    public func fail(_ job: ClaimedJob, error: String, retryBaseSeconds: Double = 2, permanent: Bool = false) throws -> RequeuedJob {
        let rows = try connection.execute(JobStatements.fail(id: job.id, attempt: job.attempt, owner: job.owner,
                                                             error: error, retryBaseSeconds: retryBaseSeconds,
                                                             permanent: permanent)).rows
        guard let row = rows.first else { throw LeaseLost(jobID: job.id, attempt: job.attempt) }
        return try RequeuedJob(row: row)
    }

    /// Hands the job back unfinished, its attempt not counted (graceful shutdown). False when already lost.
    @discardableResult
    public func release(_ job: ClaimedJob) throws -> Bool {
        try connection.execute(JobStatements.release(id: job.id, attempt: job.attempt, owner: job.owner))
            .affectedRows == 1
    }

    /// Requeues (or fails) every running job whose lease has expired; returns them.
    public func reapExpired(retryBaseSeconds: Double = 2) throws -> [RequeuedJob] {
        try connection.execute(JobStatements.reapExpired(retryBaseSeconds: retryBaseSeconds)).rows
            .map { try RequeuedJob(row: $0) }
    }

    /// Job counts by state, for one run or all.
    public func counts(runID: Int64? = nil) throws -> [JobState: Int] {
        var out: [JobState: Int] = [:]
        for row in try connection.execute(JobStatements.counts(runID: runID)).rows {
            let name = try row.string("state")
            guard let state = JobState(rawValue: name) else { throw StoreError.decoding("unknown job state \"\(name)\"") }
            out[state] = try row.int("n")
        }
        return out
    }

    /// Creates the fan-in counter of (run, step, stage) expecting `expected` arrivals (idempotent).
    public func createBarrier(runID: Int64, step: Int, stage: String, expected: Int) throws {
        try connection.execute(BarrierStatements.create(runID: runID, step: step, stage: stage, expected: expected))
    }

    /// Counts one arrival at the barrier; true when it was the last one expected.
    public func arrive(runID: Int64, step: Int, stage: String) throws -> Bool {
        guard let row = try connection.execute(BarrierStatements.arrive(runID: runID, step: step, stage: stage))
            .single() else {
            throw StoreError.decoding("no barrier for run \(runID) step \(step) stage \(stage)")
        }
        return try row.int("arrived") == row.int("expected")
    }
}

extension RequeuedJob {
    init(row: Row) throws {
        id = Int64(try row.int("id"))
        runID = Int64(try row.int("run_id"))
        let name = try row.string("state")
        guard let state = JobState(rawValue: name) else { throw StoreError.decoding("unknown job state \"\(name)\"") }
        self.state = state
        attempt = try row.int("attempt")
    }
}
