/// Statements on `runs`.
public enum RunStatements {
    static let columns = """
        id, name, config, fingerprint, state, reason, steps, version, train_prompts, eval_prompts,
        created_at, updated_at, finished_at
        """

    public static func insert(name: String, config: String, fingerprint: String, trainPrompts: String,
                              evalPrompts: String, steps: Int) -> SQL {
        """
        INSERT INTO runs (name, config, fingerprint, train_prompts, eval_prompts, steps)
        VALUES (\(name), \(config), \(fingerprint), \(trainPrompts), \(evalPrompts), \(steps))
        RETURNING id
        """
    }

    /// The row's small columns: enough to tell whether a decoded configuration is still this run's.
    public static func header(_ id: Int64) -> SQL {
        "SELECT id, name, fingerprint, state, version FROM runs WHERE id = \(id)"
    }

    public static func byName(_ name: String) -> SQL {
        "SELECT \(unsafe: columns) FROM runs WHERE name = \(name)"
    }

    public static func byID(_ id: Int64) -> SQL {
        "SELECT \(unsafe: columns) FROM runs WHERE id = \(id)"
    }

    /// The run row locked for the rest of the transaction (state changes and completions serialise on it).
    public static func lock(_ id: Int64) -> SQL {
        "SELECT \(unsafe: columns) FROM runs WHERE id = \(id) FOR UPDATE"
    }

    /// The run row share-locked: a completion that enqueues reads the run's state while pause waits.
    public static func share(_ id: Int64) -> SQL {
        "SELECT state, version FROM runs WHERE id = \(id) FOR SHARE"
    }

    /// A hash of every column of the named run's row, with its id (of all rows when `name` is nil, without id): it
    /// changes with any update of a run (a step, a state, a reason).
    public static func rowFingerprint(name: String?) -> SQL {
        if let name {
            return "SELECT r.id, hashtext(r::text)::text AS fingerprint FROM runs r WHERE r.name = \(name)"
        }
        return "SELECT count(*) || ':' || coalesce(sum(hashtext(r::text)::bigint), 0) AS fingerprint FROM runs r"
    }

    /// Every run, oldest first.
    public static let list: SQL = "SELECT \(unsafe: columns) FROM runs ORDER BY id"

    /// Moves a run from one of `from` (comma-separated) to `to`; zero rows when it was in none of them.
    public static func transition(id: Int64, from: [RunState], to: RunState, reason: String?) -> SQL {
        """
        UPDATE runs SET state = \(to.rawValue), reason = \(reason), updated_at = now(),
            finished_at = CASE WHEN \(to.isFinished) THEN now() END
        WHERE id = \(id) AND state = ANY (string_to_array(\(from.map(\.rawValue).joined(separator: ",")), ','))
        """
    }

    /// Compare-and-set of the model version: a replayed train step cannot advance it twice.
    public static func advanceVersion(id: Int64, from version: Int) -> SQL {
        "UPDATE runs SET version = \(version + 1), updated_at = now() WHERE id = \(id) AND version = \(version)"
    }
}
