import Foundation

/// Which PostgreSQL FlowCPS talks to: `FLOWCPS_DATABASE_URL`, else the server libpq's `PG*` variables name, else the
/// embedded cluster under `.flowcps/postgres/` of the working directory (or `$FLOWCPS_HOME`).
public enum DatabaseLocation: Sendable, Equatable {
    case url(String)
    /// libpq's own defaults from `PGHOST`, `PGDATABASE`, … (an empty connection string).
    case environment
    case embedded(EmbeddedPostgres)

    /// The location the environment selects.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment,
                                       workingDirectory: String = FileManager.default.currentDirectoryPath) -> DatabaseLocation {
        if let url = env["FLOWCPS_DATABASE_URL"], !url.isEmpty { return .url(url) }
        let libpq = ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"]
        if libpq.contains(where: { env[$0].map { !$0.isEmpty } ?? false }) { return .environment }
        let home = env["FLOWCPS_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? workingDirectory + "/.flowcps"
        return .embedded(EmbeddedPostgres(directory: home + "/postgres"))
    }

    /// The libpq connection string.
    public var connectionString: String {
        switch self {
        case .url(let u): return u
        case .environment: return ""
        case .embedded(let e): return e.url
        }
    }

    /// One line saying which database this is (passwords never printed).
    public var summary: String {
        switch self {
        case .url(let u):
            return "database: FLOWCPS_DATABASE_URL (\(DatabaseLocation.redacted(u)))"
        case .environment:
            return "database: from the PG* environment variables"
        case .embedded(let e):
            return "database: embedded PostgreSQL in \(e.directory) (stop it with `flowcps db stop`)"
        }
    }

    /// The connection string with every password replaced by `***`: the URL's user-info password, a `password=`
    /// query parameter, and `password=` in libpq's key=value form (quoted or not). A URL that does not parse is
    /// not shown at all.
    static func redacted(_ connection: String) -> String {
        guard connection.contains("://") else {
            // key=value form: password=secret or password = 'se cr\'et'
            let pattern = #"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)"#
            guard let re = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) else { return "***" }
            let range = NSRange(connection.startIndex..., in: connection)
            return re.stringByReplacingMatches(in: connection, range: range, withTemplate: "$1***")
        }
        guard var c = URLComponents(string: connection) else { return "(a connection URL that does not parse)" }
        if c.password != nil { c.password = "***" }
        if let items = c.queryItems {
            c.queryItems = items.map { $0.name.lowercased() == "password" ? URLQueryItem(name: $0.name, value: "***") : $0 }
        }
        return c.string ?? "(a connection URL)"
    }
}

/// Opens the configured database, starting the embedded cluster when that is the one. The embedded cluster is
/// this user's own, so pending migrations are applied there (under the migrator's advisory lock, so concurrent
/// starts are safe). A server named by the environment is migrated only by `flowcps db migrate`, as its owner:
/// every other command connects as a role without DDL rights and checks that the schema has what this build needs.
public enum Database {
    /// A connection to the configured database with the schema this build needs. `log` hears when the embedded
    /// cluster is started (with which database this is) and each migration applied; an already running database
    /// is used quietly.
    public static func open(location: DatabaseLocation = .fromEnvironment(), retry: RetryPolicy = .none,
                            migrationsDirectory: String? = Migration.defaultDirectory(),
                            log: (String) -> Void = { _ in }) throws -> Connection {
        var embedded = false
        if case .embedded(let e) = location {
            embedded = true
            if try e.start() {
                log("started the embedded PostgreSQL in \(e.directory)")
                log(location.summary)
            }
        }
        let c = try Connection.open(url: location.connectionString, retry: retry)
        if embedded {
            try migrate(c, directory: migrationsDirectory, log: log)
        } else {
            try checkSchema(c, directory: migrationsDirectory)
        }
        return c
    }

    /// Applies pending migrations; without a migrations folder, checks the schema exists.
    public static func migrate(_ c: Connection, directory: String?, log: (String) -> Void) throws {
        guard let directory else { return try checkSchema(c, directory: nil) }
        let applied = try Migrator(connection: c).migrate(try Migration.load(directory: directory))
        if !applied.isEmpty {
            log("applied migrations " + applied.map { String(format: "%04d_%@", $0.version, $0.name) }.joined(separator: ", "))
        }
    }

    /// Throws one line unless every migration this build has (all of `directory`, or at least one when there is
    /// no folder) is applied. Changes nothing: the connecting role needs no DDL rights. Versions applied by a newer
    /// build are fine (migrations only add), so old and new workers share a database during an upgrade.
    public static func checkSchema(_ c: Connection, directory: String?) throws {
        let applied = try Migrator(connection: c).appliedVersions()
        guard let directory else {
            guard !applied.isEmpty else {
                throw StoreError.migration("the database has no FlowCPS schema and no migrations folder was found "
                                           + "(none beside the flowcps binary that only its owner may write to: set FLOWCPS_MIGRATIONS)")
            }
            return
        }
        let missing = try Migration.load(directory: directory).filter { !applied.contains($0.version) }
        guard missing.isEmpty else {
            let names = missing.map { String(format: "%04d_%@", $0.version, $0.name) }.joined(separator: ", ")
            throw StoreError.migration("the database schema lacks \(names), which this build needs: "
                                       + "run `flowcps db migrate` with the owner's FLOWCPS_DATABASE_URL")
        }
    }
}
