/// What went wrong talking to PostgreSQL. Server errors keep their SQLSTATE so callers can tell a unique violation
/// (23505) or a serialization failure (40001) from the rest.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// The server could not be reached or the connection broke; `message` is one line.
    case connection(String)
    /// The server rejected a statement.
    case server(sqlstate: String, message: String, detail: String?, statement: String)
    /// A result did not have the shape or types the caller asked for.
    case decoding(String)
    /// A migration file or the applied-migrations table is not as expected.
    case migration(String)

    public var description: String {
        switch self {
        case .connection(let m): return "database unreachable: \(m)"
        case let .server(state, message, detail, statement):
            let first = statement.split(separator: "\n").first.map { String($0.prefix(80)) } ?? ""
            return "database error \(state): \(message)" + (detail.map { " (\($0))" } ?? "") + " in: \(first)"
        case .decoding(let m): return "unexpected result: \(m)"
        case .migration(let m): return "migration: \(m)"
        }
    }

    /// The SQLSTATE of a server error (nil for the other cases).
    public var sqlstate: String? {
        if case let .server(state, _, _, _) = self { return state }
        return nil
    }

    /// True when the statement may succeed if run again on a healthy connection: the connection broke, the server
    /// is shutting down or restarting (class 57P, 08), or the transaction lost a race (40001, 40P01).
    public var isTransient: Bool {
        switch self {
        case .connection: return true
        case .server(let state, _, _, _):
            return state.hasPrefix("08") || state.hasPrefix("57P") || state == "40001" || state == "40P01"
        default: return false
        }
    }
}
