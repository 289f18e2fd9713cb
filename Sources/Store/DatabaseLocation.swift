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

    static func redacted(_ url: String) -> String {
        guard var c = URLComponents(string: url), c.password != nil else { return url }
        c.password = "***"
        return c.string ?? url
    }
}

/// Opens the configured database, starting the embedded cluster when that is the one, and applies pending
/// migrations (under the migrator's advisory lock, so concurrent starts are safe).
public enum Database {
    /// A migrated connection to the configured database. `log` hears when the embedded cluster is started (with
    /// which database this is) and each migration applied; an already running database is used quietly.
    public static func open(location: DatabaseLocation = .fromEnvironment(), retry: RetryPolicy = .none,
                            migrationsDirectory: String? = Migration.defaultDirectory(),
                            log: (String) -> Void = { _ in }) throws -> Connection {
        if case .embedded(let e) = location, try e.start() {
            log("started the embedded PostgreSQL in \(e.directory)")
            log(location.summary)
        }
        let c = try Connection.open(url: location.connectionString, retry: retry)
        try migrate(c, directory: migrationsDirectory, log: log)
        return c
    }

    /// Applies pending migrations; without a migrations folder, checks the schema exists.
    public static func migrate(_ c: Connection, directory: String?, log: (String) -> Void) throws {
        let migrator = Migrator(connection: c)
        guard let directory else {
            guard try migrator.currentVersion() > 0 else {
                throw StoreError.migration("the database has no FlowCPS schema and no migrations folder was found "
                                           + "(set FLOWCPS_MIGRATIONS or run from the repository)")
            }
            return
        }
        let applied = try migrator.migrate(try Migration.load(directory: directory))
        if !applied.isEmpty {
            log("applied migrations " + applied.map { String(format: "%04d_%@", $0.version, $0.name) }.joined(separator: ", "))
        }
    }
}
