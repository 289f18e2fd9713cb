import ArgumentParser
import Foundation
import Store

/// `flowcps db`: the database's schema and the embedded server.
struct DB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Migrate the database, show its migrations, start or stop the embedded PostgreSQL.",
        discussion: """
        The database is FLOWCPS_DATABASE_URL when set, else the one libpq's PG* variables name, else an embedded \
        cluster under .flowcps/postgres/ started from the system's PostgreSQL binaries.
        """,
        subcommands: [Migrate.self, Status.self, Start.self, Stop.self]
    )

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply pending migrations from migrations/.")
        @Option(help: "Migrations folder (default: $FLOWCPS_MIGRATIONS, else the one beside the flowcps binary or its checkout).")
        var migrations: String?

        func run() throws {
            let c = try DB.connect(migrate: false)
            FlowCPS.note(DatabaseLocation.fromEnvironment().summary)
            let folder = try DB.folder(migrations)
            let applied = try Migrator(connection: c).migrate(try Migration.load(directory: folder))
            print(applied.isEmpty ? "up to date" : applied.map { "applied \(DB.fileName($0.version, $0.name))" }
                .joined(separator: "\n"))
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List migrations: applied (when) or pending.")
        @Option(help: "Migrations folder (default: $FLOWCPS_MIGRATIONS, else the one beside the flowcps binary or its checkout).")
        var migrations: String?

        func run() throws {
            let c = try DB.connect(migrate: false)
            let list = try Migrator(connection: c).status(try Migration.load(directory: try DB.folder(migrations)))
            for s in list {
                let when = s.appliedAt.map { "applied " + DB.timestamp($0) } ?? "pending"
                print("\(DB.fileName(s.version, s.name))  \(when)\(s.checksumMatches ? "" : "  (file differs from what was applied)")")
            }
        }
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start (and migrate) the embedded PostgreSQL.")
        func run() throws {
            guard case .embedded = DatabaseLocation.fromEnvironment() else {
                throw InputError("a database URL or PG* variables are set: there is no embedded server to start")
            }
            _ = try DB.connect()
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded PostgreSQL.")
        func run() throws {
            guard case .embedded(let e) = DatabaseLocation.fromEnvironment() else {
                throw InputError("a database URL or PG* variables are set: there is no embedded server to stop")
            }
            print(try e.stop() ? "stopped the embedded PostgreSQL in \(e.directory)" : "not running (\(e.directory))")
        }
    }

    /// A connection to the configured database (migrated unless `migrate` is false); progress lines on stderr.
    static func connect(migrate: Bool = true, retry: RetryPolicy = .none) throws -> Connection {
        let location = DatabaseLocation.fromEnvironment()
        if !migrate {
            if case .embedded(let e) = location { try e.start() }
            return try Connection.open(url: location.connectionString, retry: retry)
        }
        return try Database.open(location: location, retry: retry) { FlowCPS.note($0) }
    }

    static func folder(_ given: String?) throws -> String {
        guard let f = given ?? Migration.defaultDirectory() else {
            throw InputError("no migrations folder found: pass --migrations or set FLOWCPS_MIGRATIONS")
        }
        return f
    }

    static func fileName(_ version: Int, _ name: String) -> String {
        String(format: "%04d_%@.sql", version, name)
    }

    /// A PostgreSQL timestamp (µs since 2000-01-01 UTC) as ISO 8601.
    static func timestamp(_ us: Int64) -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: Date(timeIntervalSince1970: 946_684_800 + Double(us) / 1e6))
    }
}

extension FlowCPS {
    /// One line of progress or context on stderr (stdout stays for results).
    static func note(_ line: String) {
        FileHandle.standardError.write(Data("[flowcps] \(line)\n".utf8))
    }
}
