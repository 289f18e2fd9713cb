import Foundation
import Store
import StoreTestSupport
import Testing

@Suite(.enabled(if: TestDatabase.available))
struct ConnectionTests {
    @Test func everyBindTypeRoundTrips() throws {
        let c = try TestDatabase(migrated: false).connect()
        let bytes = [UInt8](0...255) + [0, 0, 255]
        let row = try c.execute("""
            SELECT \(Int64.min) AS lo, \(Int64.max) AS hi, \(-1.5e-300) AS d, \(true) AS b, \(bytes) AS raw,
                   \(SQLValue.jsonb("{\"a\": [1, 2]}")) AS j, \(Optional<Int>.none) IS NULL AS isnull,
                   \(UInt64.max) AS seed, \(Date(timeIntervalSince1970: 946_684_800.5)) AS t
            """).rows[0]
        #expect(try row.int("lo") == Int(Int64.min))
        #expect(try row.int("hi") == Int(Int64.max))
        #expect(try row.double("d") == -1.5e-300)
        #expect(try row.bool("b"))
        #expect(try row.bytes("raw") == bytes)
        #expect(try row.string("j") == "{\"a\": [1, 2]}")
        #expect(try row.bool("isnull"))
        #expect(try row.int("seed") == -1)
        #expect(try row.optionalTimestamp("t") == 500_000)
    }

    @Test func quotesSemicolonsAndBackslashesRoundTripUnchanged() throws {
        let db = try TestDatabase()
        let c = try db.connect()
        let evil = [
            "'; DROP TABLE runs; --", "Robert'); DELETE FROM jobs WHERE ('1'='1", "back\\slash \\' \\\\ end",
            "dollar $1 $$ quoted $$", "semi;colon;", "unicode ✓ «» \u{0301}", "\"double\" 'single' `tick`", "E'\\x41'",
        ]
        for (i, s) in evil.enumerated() {
            #expect(try c.execute("SELECT \(s) AS s").rows[0].string("s") == s)
            _ = try db.insertRun(c, name: s + "#\(i)")
        }
        let names = try c.execute("SELECT name FROM runs ORDER BY id").rows.map { try $0.string("name") }
        #expect(names == evil.enumerated().map { $0.element + "#\($0.offset)" })
        #expect(try c.execute("SELECT count(*) AS n FROM jobs").rows[0].int("n") == 0)
    }

    @Test func serverErrorsKeepTheirSQLSTATE() throws {
        let db = try TestDatabase()
        let c = try db.connect()
        _ = try db.insertRun(c, name: "same")
        #expect { _ = try db.insertRun(c, name: "same") } throws: { ($0 as? StoreError)?.sqlstate == "23505" }
        #expect { try c.execute("SELEC 1") } throws: { ($0 as? StoreError)?.sqlstate == "42601" }
        // The connection stays usable after an error.
        #expect(try c.execute("SELECT 2 AS two").rows[0].int("two") == 2)
    }

    @Test func aTransactionRollsBackWhenItsBodyThrows() throws {
        let db = try TestDatabase()
        let c = try db.connect()
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try c.transaction { c in
                _ = try db.insertRun(c, name: "doomed")
                throw Boom()
            }
        }
        #expect(try c.execute("SELECT count(*) AS n FROM runs").rows[0].int("n") == 0)
    }

    @Test func anUnreachableServerIsOneClearLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("no-server-\(UUID().uuidString)").path
        do {
            _ = try Connection(url: "postgresql://postgres@/x?host=\(dir)&connect_timeout=2")
            Issue.record("connected to nothing")
        } catch let e as StoreError {
            guard case .connection(let message) = e else { Issue.record("wrong error \(e)"); return }
            #expect(!message.contains("\n"))
            #expect(e.description.hasPrefix("database unreachable: "))
            #expect(message.contains(dir))
        }
    }

    @Test func unreadableColumnTypesSayHowToCast() throws {
        let c = try TestDatabase(migrated: false).connect()
        #expect { try c.execute("SELECT 1.5::numeric AS n") } throws: { "\($0)".contains("::float8") }
    }

    @Test func notificationsArriveOnTheListeningSession() throws {
        let db = try TestDatabase(migrated: false)
        let listener = try db.connect(), sender = try db.connect()
        try listener.listen("stage_test")
        #expect(try listener.waitForNotifications(timeout: 0.05).isEmpty)
        try sender.execute("SELECT pg_notify('stage_test', '')")
        #expect(try listener.waitForNotifications(timeout: 5) == ["stage_test"])
    }
}
