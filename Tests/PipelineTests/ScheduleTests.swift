import Foundation
import Pipeline
import Store
import StoreTestSupport
import Testing
import Training

/// Schedules against a real PostgreSQL with a controllable clock: two workers' sessions fire at every tick at
/// once, and each due time must make exactly one run.
@Suite(.enabled(if: TestDatabase.available))
struct ScheduleTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// smoke.yaml with absolute paths.
    static func smoke() throws -> RunConfig {
        var config = try RunConfigFile.load(path: repository + "/pipelines/smoke.yaml")
        config.model.base = repository + "/" + config.model.base
        config.prompts.train = repository + "/" + config.prompts.train
        config.prompts.eval = repository + "/" + config.prompts.eval
        return config
    }

    static func runNames(_ c: Connection) throws -> [String] {
        try c.execute("SELECT name FROM runs ORDER BY name").rows.map { try $0.string("name") }
    }

    @Test func twoWorkersFireEachDueTimeExactlyOnce() throws {
        let db = try TestDatabase()
        let admin = try db.connect()
        let start = utc("2026-01-01 00:00:30")
        try Schedules(connection: admin).add(name: "every5", cron: try CronSchedule("*/5 * * * *"),
                                             config: try ScheduleTests.smoke(), now: start)
        let workers = Sessions([try db.connect(), try db.connect()])
        let fired = LockedList()
        // Thirty ticks of one minute; at each, both workers try to fire at the same moment.
        for minute in 0..<30 {
            let now = start.addingTimeInterval(Double(minute) * 60)
            DispatchQueue.concurrentPerform(iterations: 2) { w in
                do { fired.append(try Schedules(connection: workers.connections[w]).fireDue(now: now)) } catch { fired.fail("\(error)") }
            }
        }
        #expect(fired.error == nil)
        let expected = ["0005", "0010", "0015", "0020", "0025"].map { "every5-20260101T\($0)Z" }
        #expect(fired.items.compactMap(\.run).sorted() == expected)
        #expect(try ScheduleTests.runNames(admin) == expected)
        // Each fired run is a whole run: its first jobs are queued.
        let plans = try admin.execute("SELECT count(*) AS n FROM jobs WHERE stage = 'plan' AND step = 0").rows[0].int("n")
        #expect(plans == 5)
        let s = try #require(try Schedules(connection: admin).list().first)
        #expect(s.nextDue == utc("2026-01-01 00:30"))
        #expect(s.lastRun == "every5-20260101T0025Z")
        #expect(s.missed == 0)
    }

    @Test func afterAnOutageOnlyTheNewestDueTimeFires() throws {
        let db = try TestDatabase()
        let c = try db.connect()
        try Schedules(connection: c).add(name: "hourly", cron: try CronSchedule("@hourly"),
                                         config: try ScheduleTests.smoke(), now: utc("2026-01-01 00:10"))
        // No worker ran from 01:00 to 05:30: due times 01:00 … 05:00 passed.
        let fired = try Schedules(connection: c).fireDue(now: utc("2026-01-01 05:30"))
        #expect(fired.count == 1)
        #expect(fired.first?.due == utc("2026-01-01 05:00"))
        #expect(fired.first?.run == "hourly-20260101T0500Z")
        #expect(fired.first?.missed == 4)
        #expect(try ScheduleTests.runNames(c) == ["hourly-20260101T0500Z"])
        #expect(try Schedules(connection: c).fireDue(now: utc("2026-01-01 05:59")).isEmpty)
        let s = try #require(try Schedules(connection: c).list().first)
        #expect(s.missed == 4)
        #expect(s.nextDue == utc("2026-01-01 06:00"))
    }

    @Test func aBadScheduleIsRefusedAndNothingWritten() throws {
        let db = try TestDatabase()
        let c = try db.connect()
        var config = try ScheduleTests.smoke()
        config.prompts.train = "/no/such/prompts.txt"
        #expect { try Schedules(connection: c).add(name: "x", cron: try CronSchedule("@daily"), config: config) }
            throws: { "\($0)".contains("prompts.train") }
        #expect { try Schedules(connection: c).add(name: "a/b", cron: try CronSchedule("@daily"), config: try ScheduleTests.smoke()) }
            throws: { "\($0)".contains("schedule name") }
        try Schedules(connection: c).add(name: "x", cron: try CronSchedule("@daily"), config: try ScheduleTests.smoke())
        #expect { try Schedules(connection: c).add(name: "x", cron: try CronSchedule("@daily"), config: try ScheduleTests.smoke()) }
            throws: { "\($0)".contains("exists already") }
        #expect(try Schedules(connection: c).list().map(\.name) == ["x"])
        try Schedules(connection: c).remove("x")
        #expect(try Schedules(connection: c).list().isEmpty)
        #expect { try Schedules(connection: c).remove("x") } throws: { "\($0)".contains("no schedule named") }
    }

    @Test func aCorruptedStoredModelIsMissedWithTheReason() throws {
        let db = try TestDatabase()
        let c = try db.connect()
        try Schedules(connection: c).add(name: "daily", cron: try CronSchedule("@daily"), config: try ScheduleTests.smoke(),
                                         now: utc("2026-01-01 12:00"))
        try c.execute("UPDATE schedules SET base_model = overlay(base_model placing '\\xff'::bytea from 100 for 1)")
        let fired = try Schedules(connection: c).fireDue(now: utc("2026-01-02 00:01"))
        #expect(fired.count == 1 && fired[0].run == nil)
        #expect(fired[0].error?.contains("sha256") == true)
        #expect(try ScheduleTests.runNames(c).isEmpty)
        #expect(try Schedules(connection: c).list()[0].missed == 1)
    }
}

/// Each worker's own session (each used by one thread only).
final class Sessions: @unchecked Sendable {
    let connections: [Connection]
    init(_ c: [Connection]) { connections = c }
}

/// Results collected from concurrent workers.
final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var items: [FiredSchedule] = []
    private(set) var error: String?
    func append(_ f: [FiredSchedule]) { lock.withLock { items += f } }
    func fail(_ e: String) { lock.withLock { error = e } }
}

/// Audit M8: one schedule that cannot fire (a cron expression this build rejects, as after an upgrade) records
/// why and does not stop the others; a frequent schedule after a long outage fires its newest due time.
@Suite(.enabled(if: TestDatabase.available))
struct ScheduleIsolationTests {
    @Test func aScheduleThatCannotFireDoesNotBlockTheOthers() throws {
        let db = try TestDatabase()
        let c = try db.connect()
        let start = utc("2026-01-01 00:00:30")
        for name in ["good", "bad"] {
            try Schedules(connection: c).add(name: name, cron: try CronSchedule("* * * * *"),
                                             config: try ScheduleTests.smoke(), now: start)
        }
        try c.execute("UPDATE schedules SET cron = '61 * * * *' WHERE name = 'bad'")
        let fired = try Schedules(connection: c).fireDue(now: start.addingTimeInterval(60))
        #expect(fired.compactMap(\.run) == ["good-20260101T0001Z"])
        #expect(try ScheduleTests.runNames(c) == ["good-20260101T0001Z"])
        let bad = try #require(try Schedules(connection: c).list().first { $0.name == "bad" })
        #expect(bad.lastError?.contains("minute") == true, "\(bad.lastError ?? "nil")")
        #expect(bad.missed == 1)
        #expect(bad.nextDue == start.addingTimeInterval(60 + Schedules.retrySeconds))
        let good = try #require(try Schedules(connection: c).list().first { $0.name == "good" })
        #expect(good.lastError == nil && good.nextDue == utc("2026-01-01 00:02"))
    }

    @Test func theNewestDueTimeIsFoundAfterMoreThanTenThousandMissedTicks() throws {
        let cron = try CronSchedule("* * * * *")
        let first = utc("2026-01-01 00:01")
        let now = utc("2026-01-15 12:00:30")  // 14.5 days: about 20 880 minutes
        let (due, skipped) = cron.newestDue(after: first, through: now)
        #expect(due == utc("2026-01-15 12:00"))
        #expect(skipped == 10_000, "the count is capped, the due time is not")
        let (same, none) = cron.newestDue(after: first, through: utc("2026-01-01 00:01:30"))
        #expect(same == first && none == 0)
    }

    @Test func withoutAGivenTimeTheDatabaseClockDecides() throws {
        let db = try TestDatabase()
        let c = try db.connect()
        // Due a minute ago by the database's clock; a worker's clock plays no part.
        let dbNow = Date(timeIntervalSince1970: try c.execute("SELECT extract(epoch FROM now())::float8 AS now").rows[0].double("now"))
        try Schedules(connection: c).add(name: "clock", cron: try CronSchedule("@yearly"),
                                         config: try ScheduleTests.smoke(), now: dbNow.addingTimeInterval(-400 * 86_400))
        let fired = try Schedules(connection: c).fireDue()
        #expect(fired.count == 1 && fired[0].run != nil, "\(fired)")
    }
}
