import Foundation

/// Statements on `schedules`: scheduled training pipelines.
public enum ScheduleStatements {
    /// First key of the transaction-level advisory lock whose holder fires due schedules ("fcps"); the second is
    /// the schema's hash, so deployments in separate schemas of one database do not block each other.
    static let schedulerLock: Int32 = 0x6663_7073

    public static func insert(name: String, cron: String, config: String, trainPrompts: String, evalPrompts: String,
                              baseModel: [UInt8], nextDue: Date?) -> SQL {
        """
        INSERT INTO schedules (name, cron, config, train_prompts, eval_prompts, base_model, base_sha256, next_due)
        SELECT \(name), \(cron), \(config), \(trainPrompts), \(evalPrompts), b.data, encode(sha256(b.data), 'hex'),
               \(nextDue)
        FROM (SELECT \(baseModel) AS data) b
        RETURNING id
        """
    }

    /// Every schedule without its stored run file and model, by name.
    public static let list: SQL = """
        SELECT id, name, cron, next_due, last_due, last_run, missed, created_at, last_error FROM schedules ORDER BY name
        """

    public static func byName(_ name: String) -> SQL {
        "SELECT id, name, cron, next_due, last_due, last_run, missed, created_at, last_error FROM schedules WHERE name = \(name)"
    }

    public static func remove(name: String) -> SQL {
        "DELETE FROM schedules WHERE name = \(name)"
    }

    /// Takes the scheduler's lock for the rest of the transaction if no other session holds it.
    public static let tryLock: SQL = """
        SELECT pg_try_advisory_xact_lock(\(schedulerLock)::integer, hashtext(current_schema())) AS locked
        """

    /// Schedules due at `now`, locked, with what a submission needs; the stored model is checked against its hash.
    public static func lockDue(now: Date) -> SQL {
        """
        SELECT id, name, cron, config, train_prompts, eval_prompts, base_model, next_due,
               base_sha256 = encode(sha256(base_model), 'hex') AS model_intact
        FROM schedules WHERE next_due <= \(now) ORDER BY next_due, id FOR UPDATE
        """
    }

    /// Records that `due` was fired as run `run` (nil: it could not submit; `missed` due times skipped) and when
    /// it is due next.
    public static func fired(id: Int64, due: Date, run: String?, missed: Int, nextDue: Date?) -> SQL {
        """
        UPDATE schedules SET last_due = \(due), last_run = coalesce(\(run), last_run), missed = missed + \(missed),
                             next_due = \(nextDue), last_error = NULL
        WHERE id = \(id)
        """
    }

    /// Records that a due schedule could not fire at all (its stored cron or run file fails in this build): one
    /// missed due time, the reason, and another try `retrySeconds` later.
    public static func failed(id: Int64, error: String, now: Date, retrySeconds: Double) -> SQL {
        """
        UPDATE schedules SET missed = missed + 1, last_error = \(error),
                             next_due = \(now) + make_interval(secs => \(retrySeconds))
        WHERE id = \(id)
        """
    }

    /// The database's clock: every worker fires schedules by the same time, whatever its own clock says.
    public static let now: SQL = "SELECT pg_catalog.now() AS now"

    public static let savepoint: SQL = "SAVEPOINT fire_schedule"
    public static let rollbackToSavepoint: SQL = "ROLLBACK TO SAVEPOINT fire_schedule"
    public static let releaseSavepoint: SQL = "RELEASE SAVEPOINT fire_schedule"
}
