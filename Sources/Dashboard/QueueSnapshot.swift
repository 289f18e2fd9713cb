import Foundation
import Pipeline
import Store

/// Available jobs of one stage and priority: claimable now, or waiting out a retry backoff.
public struct ClaimableJobs: Codable, Sendable {
    public let stage: String
    public let priority: Int
    public let ready: Int
    public let backoff: Int
    /// How long the oldest claimable one has waited.
    public let oldestReadySeconds: Double
}

/// A running job with the worker holding its lease.
public struct RunningJob: Codable, Sendable {
    public let id: Int64
    public let run: String
    public let stage: String
    public let step: Int
    public let shard: Int
    public let attempt: Int
    public let worker: String
    public let runningSeconds: Double?
    public let heartbeatAgeSeconds: Double?
    public let leaseLeftSeconds: Double?
}

/// A failed attempt: retried (the job is available or running again) or for good (`state` failed).
public struct FailedAttempt: Codable, Sendable {
    public let id: Int64
    public let run: String
    public let stage: String
    public let step: Int
    public let shard: Int
    public let state: String
    public let attempt: Int?
    public let maxAttempts: Int
    public let worker: String?
    public let error: String
    public let ageSeconds: Double?
}

/// A schedule and when it fires next.
public struct ScheduleLine: Codable, Sendable {
    public let name: String
    public let cron: String
    /// The next due time (UTC, ISO 8601) and the seconds until it (negative: overdue).
    public let nextDue: String?
    public let secondsUntilDue: Double?
    public let lastRun: String?
    public let missed: Int
    public let lastError: String?
}

/// An external reward with jobs (view `external_reward_waits`); `notice` when no worker seems to serve it.
public struct ExternalRewardLine: Codable, Sendable {
    public let run: String
    public let reward: String
    public let waiting: Int
    public let running: Int
    public let completed: Int
    public let oldestWaitSeconds: Double
    public let notice: String?
}

/// The queue and workers page (`GET /api/queue`).
public struct QueueSnapshot: Codable, Sendable {
    public let claimable: [ClaimableJobs]
    public let running: [RunningJob]
    public let failures: [FailedAttempt]
    public let schedules: [ScheduleLine]
    public let externalRewards: [ExternalRewardLine]

    /// Failed attempts listed, newest first.
    public static let failureLimit = 50

    public static func load(_ c: Connection, now: Date = Date()) throws -> QueueSnapshot {
        let claimable = try c.execute(JobStatements.claimable).rows.map { r in
            ClaimableJobs(stage: try r.string("stage"), priority: try r.int("priority"), ready: try r.int("ready"),
                          backoff: try r.int("backoff"), oldestReadySeconds: try r.double("oldest_ready_seconds"))
        }
        let running = try c.execute(JobStatements.runningWithWorkers).rows.map { r in
            RunningJob(id: Int64(try r.int("id")), run: try r.string("run"), stage: try r.string("stage"), step: try r.int("step"),
                       shard: try r.int("shard"), attempt: try r.int("attempt"), worker: try r.optionalString("worker") ?? "",
                       runningSeconds: try r.optionalDouble("running_seconds").finite,
                       heartbeatAgeSeconds: try r.optionalDouble("heartbeat_age_seconds").finite,
                       leaseLeftSeconds: try r.optionalDouble("lease_left_seconds").finite)
        }
        let failures = try c.execute(JobStatements.recentFailures(limit: failureLimit)).rows.map { r in
            FailedAttempt(id: Int64(try r.int("id")), run: try r.string("run"), stage: try r.string("stage"),
                          step: try r.int("step"), shard: try r.int("shard"), state: try r.string("state"),
                          attempt: try r.optionalInt("attempt"), maxAttempts: try r.int("max_attempts"),
                          worker: try r.optionalString("worker"), error: try r.optionalString("error") ?? "",
                          ageSeconds: try r.optionalDouble("age_seconds").finite)
        }
        let schedules = try c.execute(ScheduleStatements.list).rows.map { r -> ScheduleLine in
            let due = try r.optionalTimestamp("next_due").map(Date.init(postgresMicroseconds:))
            return ScheduleLine(name: try r.string("name"), cron: try r.string("cron"),
                                nextDue: due.map { UTCTime.string($0, "yyyy-MM-dd'T'HH:mm:ss'Z'") },
                                secondsUntilDue: due.map { $0.timeIntervalSince(now) }, lastRun: try r.optionalString("last_run"),
                                missed: try r.int("missed"), lastError: try r.optionalString("last_error"))
        }
        let external = try c.execute(ViewStatements.allExternalRewardWaits).rows.map { r -> ExternalRewardLine in
            let w = ExternalRewardWait(reward: try r.string("reward"), waiting: try r.int("waiting"),
                                       running: try r.int("running"), seconds: try r.double("oldest_wait_seconds"))
            let unserved = w.waiting > 0 && w.running == 0 && w.seconds >= ExternalRewardWait.noticeSeconds
            return ExternalRewardLine(run: try r.string("run"), reward: w.reward, waiting: w.waiting, running: w.running,
                                      completed: try r.int("completed"), oldestWaitSeconds: w.seconds,
                                      notice: unserved ? w.message : nil)
        }
        return QueueSnapshot(claimable: claimable, running: running, failures: failures, schedules: schedules,
                             externalRewards: external)
    }
}
