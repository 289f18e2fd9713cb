/// Statements on `checkpoints`.
public enum CheckpointStatements {
    /// Binds the bytes once; the server hashes them. Returns the stored `sha256` (no row when the checkpoint was
    /// there already).
    public static func insert(runID: Int64, step: Int, kind: CheckpointKind, data: [UInt8]) -> SQL {
        """
        INSERT INTO checkpoints (run_id, step, kind, sha256, data)
        SELECT \(runID), \(step), \(kind.rawValue), encode(sha256(b.data), 'hex'), b.data FROM (SELECT \(data) AS data) b
        ON CONFLICT (run_id, step, kind) DO NOTHING
        RETURNING sha256
        """
    }

    /// The hash of a checkpoint (to look it up in a worker's cache before fetching the bytes).
    public static func hash(runID: Int64, step: Int, kind: CheckpointKind) -> SQL {
        "SELECT sha256 FROM checkpoints WHERE run_id = \(runID) AND step = \(step) AND kind = \(kind.rawValue)"
    }

    /// The bytes with the stored hash and the hash of the bytes as they are now (a mismatch means corruption).
    public static func fetch(runID: Int64, step: Int, kind: CheckpointKind) -> SQL {
        """
        SELECT sha256, encode(sha256(data), 'hex') AS actual, data FROM checkpoints
        WHERE run_id = \(runID) AND step = \(step) AND kind = \(kind.rawValue)
        """
    }

    /// Deletes the `kind` checkpoints of a run older than `step`, except those at multiples of `keepEvery` or of
    /// `alsoEvery` (each only when > 0).
    public static func thin(runID: Int64, kind: CheckpointKind, before step: Int, keepEvery: Int, alsoEvery: Int) -> SQL {
        """
        DELETE FROM checkpoints WHERE run_id = \(runID) AND kind = \(kind.rawValue) AND step < \(step)
          AND (\(keepEvery) <= 0 OR step % greatest(\(keepEvery), 1) <> 0)
          AND (\(alsoEvery) <= 0 OR step % greatest(\(alsoEvery), 1) <> 0) AND step > 0
        """
    }

    public static func list(runID: Int64) -> SQL {
        "SELECT step, kind, sha256, length(data) AS bytes FROM checkpoints WHERE run_id = \(runID) ORDER BY step, kind"
    }
}
