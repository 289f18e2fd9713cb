/// Statements on `schema_migrations`, the record of applied migration files. Built-in calls are schema-qualified
/// and exactly typed (audit H1): the migrator runs as the owner, and nothing on the search path may stand in.
enum MigrationStatements {
    static let createTable: SQL = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now())
        """

    static let exists: SQL = "SELECT pg_catalog.to_regclass('schema_migrations'::text) IS NOT NULL AS present"

    static let applied: SQL = "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"

    static func record(version: Int, name: String, sql: String) -> SQL {
        """
        INSERT INTO schema_migrations (version, name, checksum)
        VALUES (\(version), \(name),
                pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(\(sql)::text, 'UTF8'::name)), 'hex'::text))
        """
    }

    static func checksum(of sql: String) -> SQL {
        "SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(\(sql)::text, 'UTF8'::name)), 'hex'::text) AS checksum"
    }

    static func lock(key: Int64) -> SQL { "SELECT pg_catalog.pg_advisory_lock(\(key)::bigint)" }
    static func unlock(key: Int64) -> SQL { "SELECT pg_catalog.pg_advisory_unlock(\(key)::bigint)" }
}
