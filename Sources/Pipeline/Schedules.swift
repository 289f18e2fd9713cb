import Foundation
import Store
import Training

/// A schedule as `schedule list` shows it.
public struct ScheduleSummary: Sendable {
    public let name: String
    public let cron: String
    /// The next due time (nil: the expression never falls due again).
    public let nextDue: Date?
    public let lastDue: Date?
    public let lastRun: String?
    /// Due times skipped because no worker ran at them (or because the schedule could not fire).
    public let missed: Int
    /// Why the schedule last failed to fire (nil once it fires again).
    public let lastError: String?

    init(row: Row) throws {
        name = try row.string("name")
        cron = try row.string("cron")
        nextDue = try row.optionalTimestamp("next_due").map(Date.init(postgresMicroseconds:))
        lastDue = try row.optionalTimestamp("last_due").map(Date.init(postgresMicroseconds:))
        lastRun = try row.optionalString("last_run")
        missed = try row.int("missed")
        lastError = try row.optionalString("last_error")
    }
}

/// What firing one due schedule did.
public struct FiredSchedule: Sendable, Equatable {
    public let schedule: String
    public let due: Date
    /// The run submitted, or nil when it could not be (see `error`).
    public let run: String?
    /// Older due times that passed with no worker running, skipped.
    public let missed: Int
    public let error: String?
}

/// Scheduled training pipelines: a run file submitted at each due time of a cron expression (UTC). Any worker may
/// fire due schedules; the one that takes the scheduler's advisory lock does, in one transaction that submits the
/// run and moves the schedule to its next due time, so each due time fires exactly once however many workers run.
/// After an outage only the newest missed due time fires (the others are counted as missed), like cron's
/// catch-up in systemd's `Persistent=`.
public struct Schedules {
    public let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// Validates the run file as `run submit` would and stores it (prompt sets and base model included, so workers
    /// on any machine can fire it) under `name`; first due after `now`.
    @discardableResult
    public func add(name: String, cron: CronSchedule, config: RunConfig, now: Date = Date()) throws -> ScheduleSummary {
        try Schedules.validate(name: name)
        var config = config
        config.name = Schedules.runName(name, due: now)
        let s = try Runs.prepare(config)
        guard let first = cron.next(after: now) else {
            throw PipelineError.invalid("cron \"\(cron)\" never falls due")
        }
        return try connection.transaction { c in
            if try c.execute(ScheduleStatements.byName(name)).single() != nil {
                throw PipelineError.invalid("a schedule named \"\(name)\" exists already (remove it first)")
            }
            try c.execute(ScheduleStatements.insert(name: name, cron: cron.expression, config: RunConfigFile.encode(s.config),
                                                    trainPrompts: s.trainPrompts, evalPrompts: s.evalPrompts,
                                                    baseModel: s.baseModel, nextDue: first))
            return try ScheduleSummary(row: try c.execute(ScheduleStatements.byName(name)).rows[0])
        }
    }

    public func list() throws -> [ScheduleSummary] {
        try connection.execute(ScheduleStatements.list).rows.map(ScheduleSummary.init(row:))
    }

    /// Deletes a schedule (runs it submitted stay).
    public func remove(_ name: String) throws {
        guard try connection.execute(ScheduleStatements.remove(name: name)).affectedRows == 1 else {
            throw PipelineError.invalid("no schedule named \"\(name)\"")
        }
    }

    /// Fires every schedule due at `now` (default: the database's clock), if this session wins the scheduler's lock
    /// (otherwise another worker is firing them and this returns nothing). Each schedule fires in its own savepoint:
    /// one that cannot fire (a cron expression or run file this build rejects) records why, is retried an hour
    /// later, and does not stop the others.
    public func fireDue(now given: Date? = nil) throws -> [FiredSchedule] {
        try connection.transaction { c in
            guard try c.execute(ScheduleStatements.tryLock).rows[0].bool("locked") else { return [] }
            let now = try given ?? Date(postgresMicroseconds: try c.execute(ScheduleStatements.now).rows[0].optionalTimestamp("now") ?? 0)
            var fired: [FiredSchedule] = []
            for row in try c.execute(ScheduleStatements.lockDue(now: now)).rows {
                try c.execute(ScheduleStatements.savepoint)
                do {
                    fired.append(try fire(row, now: now, c))
                    try c.execute(ScheduleStatements.releaseSavepoint)
                } catch let e as StoreError where e.isTransient {
                    throw e
                } catch {
                    try c.execute(ScheduleStatements.rollbackToSavepoint)
                    let id = Int64(try row.int("id")), name = try row.string("name")
                    let message = "schedule \(name) could not fire: \(error)"
                    try c.execute(ScheduleStatements.failed(id: id, error: message, now: now, retrySeconds: Schedules.retrySeconds))
                    let due = try row.optionalTimestamp("next_due").map(Date.init(postgresMicroseconds:)) ?? now
                    fired.append(FiredSchedule(schedule: name, due: due, run: nil, missed: 0, error: message))
                }
            }
            return fired
        }
    }

    /// How long a schedule that could not fire waits before the next try.
    public static let retrySeconds = 3600.0

    /// Submits the newest due time of one locked due schedule and moves it on; a schedule that cannot submit
    /// (its stored model corrupted, the run name taken) records the due time as missed with the reason.
    private func fire(_ row: Row, now: Date, _ c: Connection) throws -> FiredSchedule {
        let id = Int64(try row.int("id")), name = try row.string("name")
        let cron = try CronSchedule(try row.string("cron"))
        guard let first = try row.optionalTimestamp("next_due").map(Date.init(postgresMicroseconds:)) else {
            throw PipelineError.invalid("schedule \(name) has no due time")
        }
        let (due, skipped) = cron.newestDue(after: first, through: now)
        let next = cron.next(after: due)
        let runName = Schedules.runName(name, due: due)
        var error: String?
        if !(try row.bool("model_intact")) {
            error = "schedule \(name): the stored base model does not match its sha256"
        } else if try c.execute(RunStatements.byName(runName)).single() != nil {
            error = "schedule \(name): a run named \(runName) exists already"
        } else {
            do {
                var config = try RunConfigFile.decode(yaml: try row.string("config"))
                config.name = runName
                try config.validate()
                _ = try Runs.insert(RunSubmission(config: config, trainPrompts: try row.string("train_prompts"),
                                                  evalPrompts: try row.string("eval_prompts"),
                                                  baseModel: try row.bytes("base_model")), into: c)
            } catch let e as ConfigError {
                error = "schedule \(name): stored run file: \(e)"
            }
        }
        // The due times before `due` were skipped; `due` itself counts as missed when it could not submit.
        try c.execute(ScheduleStatements.fired(id: id, due: due, run: error == nil ? runName : nil,
                                               missed: skipped + (error == nil ? 0 : 1), nextDue: next))
        return FiredSchedule(schedule: name, due: due, run: error == nil ? runName : nil, missed: skipped, error: error)
    }

    /// The run a schedule submits at `due`: `<schedule>-<yyyyMMdd>T<HHmm>Z`.
    static func runName(_ schedule: String, due: Date) -> String {
        "\(schedule)-\(UTCTime.string(due, "yyyyMMdd'T'HHmm'Z'"))"
    }

    /// Schedule names follow run names' rules, with room for the due time's suffix.
    static func validate(name: String) throws {
        guard !name.isEmpty, name.count <= 180, !name.contains("/"), name != ".", name != "..",
              !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw PipelineError.invalid("schedule name must be 1–180 printable characters without '/', got \"\(name)\"")
        }
    }
}

extension Date {
    /// A `timestamptz` as the store reads it: microseconds since 2000-01-01 00:00 UTC.
    public init(postgresMicroseconds t: Int64) {
        self.init(timeIntervalSince1970: 946_684_800 + Double(t) / 1e6)
    }
}
