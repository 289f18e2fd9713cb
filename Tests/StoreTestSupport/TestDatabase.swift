import Foundation
import Store

/// A fresh schema in the test server (`PG_TEST_URL`, set by ops/test) for each test: tables created by the real
/// migrations, isolated from other tests by `search_path`. Shared by the Store and Pipeline tests.
public struct TestDatabase: Sendable {
    /// The server ops/test started; tests that need it are disabled without it.
    public static let serverURL = ProcessInfo.processInfo.environment["PG_TEST_URL"]
    public static var available: Bool { serverURL != nil }

    /// The repository's migrations folder.
    public static let migrationsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("migrations").path

    public let schema: String
    /// A URL whose sessions see only this test's schema.
    public let url: String

    /// Creates an empty schema; `migrated` applies the repository's migrations to it.
    public init(migrated: Bool = true) throws {
        guard let server = TestDatabase.serverURL else {
            throw StoreError.connection("PG_TEST_URL is not set (run the suite through ops/test)")
        }
        schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let admin = try Connection(url: server)
        try admin.execute(SQL(unsafeSQL: "CREATE SCHEMA \(schema)"))
        url = server + (server.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
        if migrated {
            let c = try connect()
            try Migrator(connection: c).migrate(try Migration.load(directory: TestDatabase.migrationsDirectory))
        }
    }

    public func connect() throws -> Connection {
        try Connection(url: url)
    }

    /// A run row to hang jobs on; returns its id.
    public func insertRun(_ c: Connection, name: String = "run") throws -> Int64 {
        let row = try c.execute("""
            INSERT INTO runs (name, config, fingerprint, train_prompts, eval_prompts, steps)
            VALUES (\(name), 'name: x', 'f', '', '', 3) RETURNING id
            """).rows[0]
        return Int64(try row.int("id"))
    }
}
