/// Statements on `schema_migrations`, the record of applied migration files.
enum MigrationStatements {
    static let createTable: SQL = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now())
        """

    static let applied: SQL = "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"

    static func record(version: Int, name: String, sql: String) -> SQL {
        """
        INSERT INTO schema_migrations (version, name, checksum)
        VALUES (\(version), \(name), encode(sha256(convert_to(\(sql), 'UTF8')), 'hex'))
        """
    }

    static func checksum(of sql: String) -> SQL {
        "SELECT encode(sha256(convert_to(\(sql), 'UTF8')), 'hex') AS checksum"
    }

    static func lock(key: Int64) -> SQL { "SELECT pg_advisory_lock(\(key))" }
    static func unlock(key: Int64) -> SQL { "SELECT pg_advisory_unlock(\(key))" }
}
