import Foundation
@testable import Store
import StoreTestSupport
import Testing

@Suite(.enabled(if: TestDatabase.available))
struct MigratorTests {
    let migrations = try! Migration.load(directory: TestDatabase.migrationsDirectory)

    @Test func appliesEveryFileOnceAndRecordsIt() throws {
        let c = try TestDatabase(migrated: false).connect()
        let m = Migrator(connection: c)
        #expect(try m.migrate(migrations).map(\.version) == migrations.map(\.version))
        #expect(try m.migrate(migrations).isEmpty)
        let status = try m.status(migrations)
        #expect(status.allSatisfy { $0.appliedAt != nil && $0.checksumMatches })
        #expect(try m.currentVersion() == migrations.last!.version)
        for table in ["runs", "jobs", "stage_barriers", "checkpoints", "samples", "trajectories", "rewards",
                      "metrics", "eval_samples"] {
            #expect(try c.execute("SELECT to_regclass(\(table)) IS NOT NULL AS present").rows[0].bool("present"), "\(table)")
        }
    }

    @Test func anEditedAppliedFileIsRefused() throws {
        let c = try TestDatabase(migrated: false).connect()
        let m = Migrator(connection: c)
        try m.migrate(migrations)
        var edited = migrations
        edited[0] = Migration(version: edited[0].version, name: edited[0].name, sql: edited[0].sql + "\n-- changed\n")
        #expect { try m.migrate(edited) } throws: { "\($0)".contains("was edited after it was applied") }
        #expect(try m.status(edited)[0].checksumMatches == false)
    }

    @Test func aFailingFileLeavesNothingBehind() throws {
        let c = try TestDatabase(migrated: false).connect()
        let m = Migrator(connection: c)
        let bad = migrations + [Migration(version: 9000, name: "broken",
                                          sql: "CREATE TABLE half_done (a int);\nSELECT no_such_function();")]
        #expect { try m.migrate(bad) } throws: { "\($0)".contains("9000_broken.sql failed") }
        #expect(try c.execute("SELECT to_regclass('half_done') IS NULL AS absent").rows[0].bool("absent"))
        #expect(try m.currentVersion() == migrations.last!.version)
    }

    @Test func twoProcessesMigratingAtOnceApplyEachFileOnce() throws {
        let db = try TestDatabase(migrated: false)
        let migrations = self.migrations
        let results = UnsafeSendableBox<[[Int]]>([[], []])
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let c = try! db.connect()
            let applied = try! Migrator(connection: c).migrate(migrations).map(\.version)
            results.lock.withLock { results.value[i] = applied }
        }
        #expect(results.value.flatMap { $0 }.sorted() == migrations.map(\.version))
    }

    @Test func fileNamesAreChecked() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "SELECT 1;".write(to: dir.appendingPathComponent("1_short.sql"), atomically: true, encoding: .utf8)
        #expect { _ = try Migration.load(directory: dir.path) } throws: { "\($0)".contains("NNNN_name.sql") }
    }
}

/// A value shared between test threads under a lock.
final class UnsafeSendableBox<T>: @unchecked Sendable {
    let lock = NSLock()
    var value: T
    init(_ value: T) { self.value = value }
}

/// Where migrations are looked for (audit M9): only beside the executable or in the checkout it was built in,
/// never above the working directory, and never in a folder others may write to.
@Suite struct MigrationDiscoveryTests {
    @Test func candidatesComeFromTheExecutableNotTheWorkingDirectory() {
        let c = Migration.candidates(forExecutable: "/home/u/flowcps/.build-test/x86_64-unknown-linux-gnu/release/flowcps")
        #expect(c == ["/home/u/flowcps/.build-test/x86_64-unknown-linux-gnu/release/migrations",
                      "/home/u/flowcps/.build-test/x86_64-unknown-linux-gnu/share/flowcps/migrations",
                      "/home/u/flowcps/migrations"])
        #expect(Migration.candidates(forExecutable: "/opt/flowcps/bin/flowcps")
                == ["/opt/flowcps/bin/migrations", "/opt/flowcps/share/flowcps/migrations"])
        #expect(!Migration.candidates(forExecutable: "/usr/local/bin/flowcps").contains { $0.hasPrefix("/tmp") })
    }

    @Test func aFolderOthersMayWriteToIsNotTrusted() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flowcps-mig-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "SELECT 1;".write(toFile: dir + "/0001_init.sql", atomically: true, encoding: .utf8)
        chmod(dir, 0o755)
        #expect(Migration.holdsMigrations(dir) && Migration.isTrusted(dir))
        chmod(dir, 0o777)
        #expect(!Migration.isTrusted(dir))
        chmod(dir, 0o775)
        #expect(!Migration.isTrusted(dir))
    }
}
