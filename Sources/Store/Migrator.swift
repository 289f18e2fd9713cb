/// Applies `migrations/` to a database: under an advisory lock (so two processes never migrate at once), each file
/// in its own transaction, recorded in `schema_migrations` with its sha256; an applied file whose text changed is
/// an error, not a silent skip.
public struct Migrator {
    /// One migration's state in a database.
    public struct Status: Sendable, Equatable {
        public let version: Int
        public let name: String
        /// Nil when not applied yet.
        public let appliedAt: Int64?
        /// False when the applied file's checksum differs from the file now.
        public let checksumMatches: Bool
    }

    /// `pg_advisory_lock` key of migrations ("flowcps" in ASCII, folded to 63 bits).
    static let lockKey: Int64 = 0x666C_6F77_6370_73

    public let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// Applies every pending migration; returns those applied now. Throws (and applies nothing) when an applied
    /// migration was edited or the database holds a version missing from the folder.
    @discardableResult
    public func migrate(_ migrations: [Migration]) throws -> [Migration] {
        try connection.execute(MigrationStatements.lock(key: Migrator.lockKey))
        defer { _ = try? connection.execute(MigrationStatements.unlock(key: Migrator.lockKey)) }
        try connection.execute(MigrationStatements.createTable)
        let applied = try appliedChecksums()
        try verify(migrations, applied: applied)
        var done: [Migration] = []
        for m in migrations where applied[m.version] == nil {
            let record = MigrationStatements.record(version: m.version, name: m.name, sql: m.sql)
            do {
                if m.transactional {
                    try connection.transaction { c in
                        try c.executeScript(unsafeSQL: m.sql)
                        try c.execute(record)
                    }
                } else {
                    try connection.executeScript(unsafeSQL: m.sql)
                    try connection.execute(record)
                }
            } catch let e as StoreError {
                throw StoreError.migration("\(String(format: "%04d", m.version))_\(m.name).sql failed: \(e)")
            }
            done.append(m)
        }
        return done
    }

    /// Every migration in the folder or the database, with whether it is applied and unchanged.
    public func status(_ migrations: [Migration]) throws -> [Status] {
        try connection.execute(MigrationStatements.createTable)
        let rows = try connection.execute(MigrationStatements.applied).rows
        var out: [Status] = []
        var seen = Set<Int>()
        for m in migrations {
            let row = try rows.first { try $0.int("version") == m.version }
            let sum = try checksum(m.sql)
            out.append(Status(version: m.version, name: m.name, appliedAt: try row?.optionalTimestamp("applied_at"),
                              checksumMatches: try row.map { try $0.string("checksum") == sum } ?? true))
            seen.insert(m.version)
        }
        for row in rows where !seen.contains(try row.int("version")) {
            out.append(Status(version: try row.int("version"), name: try row.string("name"),
                              appliedAt: try row.optionalTimestamp("applied_at"), checksumMatches: false))
        }
        return out.sorted { $0.version < $1.version }
    }

    /// The applied versions, without creating anything (empty when the database has no FlowCPS schema).
    public func appliedVersions() throws -> Set<Int> {
        guard try connection.execute(MigrationStatements.exists).rows[0].bool("present") else { return [] }
        return Set(try connection.execute(MigrationStatements.applied).rows.map { try $0.int("version") })
    }

    /// The latest applied version (0 when none).
    public func currentVersion() throws -> Int {
        try connection.execute(MigrationStatements.createTable)
        return try connection.execute(MigrationStatements.applied).rows.map { try $0.int("version") }.max() ?? 0
    }

    private func appliedChecksums() throws -> [Int: String] {
        var out: [Int: String] = [:]
        for row in try connection.execute(MigrationStatements.applied).rows {
            out[try row.int("version")] = try row.string("checksum")
        }
        return out
    }

    private func verify(_ migrations: [Migration], applied: [Int: String]) throws {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, sum) in applied.sorted(by: { $0.key < $1.key }) {
            guard let m = known[version] else {
                throw StoreError.migration("the database has migration \(version), which the migrations folder lacks "
                                           + "(a newer flowcps migrated it?)")
            }
            guard try checksum(m.sql) == sum else {
                throw StoreError.migration("\(String(format: "%04d", version))_\(m.name).sql was edited after it was "
                                           + "applied (checksum differs); add a new migration instead")
            }
        }
    }

    private func checksum(_ sql: String) throws -> String {
        try connection.execute(MigrationStatements.checksum(of: sql)).rows[0].string("checksum")
    }
}
