/// Why a stage could not run. `permanent` errors (corrupted data, a bad run file) fail the job at once and pause
/// its run; the rest are retried with backoff.
public enum PipelineError: Error, CustomStringConvertible, Equatable {
    /// Stored data does not match its checksum or does not decode.
    case corrupt(String)
    /// The run or its inputs are missing or invalid.
    case invalid(String)
    /// A run name that does not exist.
    case noSuchRun(String)

    public var description: String {
        switch self {
        case .corrupt(let m): return "corrupted data: \(m)"
        case .invalid(let m): return m
        case .noSuchRun(let n): return "no run named \"\(n)\""
        }
    }

    /// True when retrying cannot help.
    public var isPermanent: Bool {
        switch self {
        case .corrupt, .invalid: return true
        case .noSuchRun: return false
        }
    }
}
