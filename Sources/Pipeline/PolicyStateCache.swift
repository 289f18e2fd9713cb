import Training

/// The training state a worker's last train job left in memory: when the same worker trains the next step, and the
/// state stored for that step has the hash its own write got back, it continues from memory instead of fetching
/// and decoding the state (weights, moments, EMA) again. Any other hash (another worker trained, a replay, a lost
/// commit) falls back to the stored bytes, so the cache changes no result.
final class PolicyStateCache {
    private var entry: (runID: Int64, step: Int, sha256: String, state: PolicyState)?

    /// The state after `step` steps of run `runID` if it is the one stored with `sha256`; the entry is handed over
    /// (the caller trains it further), so a second call returns nil.
    func take(runID: Int64, step: Int, sha256: String) -> PolicyState? {
        defer { entry = nil }
        guard let e = entry, e.runID == runID, e.step == step, e.sha256 == sha256 else { return nil }
        return e.state
    }

    /// Keeps `state`, which was stored as the state after `step` steps with hash `sha256`.
    func keep(_ state: PolicyState, runID: Int64, step: Int, sha256: String) {
        entry = (runID, step, sha256, state)
    }
}
