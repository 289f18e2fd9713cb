import Foundation
import HTTPTypes
import Imaging
import Logging
import Model
import Pipeline
import Store
import PipelineTestSupport
import StoreTestSupport
import Testing
import Training
@testable import Dashboard

/// Every route of `flowcps serve` against a real run that a worker ran through the pipeline in the test database,
/// named and prompted with hostile text: pages, JSON, images, /metrics, and the actions with and without the token.
@Suite(.enabled(if: TestDatabase.available), .serialized)
struct DashboardRouteTests {
    /// A run name with markup, both quotes, an ampersand and non-ASCII (run names allow any printable text but '/').
    static let hostileName = "<script>alert(\"run\")<\\script> <img src=x onerror='alert(1)'> & ünïcødé ✓"
    /// A prompt written by some other tool, with markup and non-ASCII.
    static let hostilePrompt = "a <img src=x onerror=alert(1)> \"red\" circle — ß"

    /// A tiny run (1 step, evaluated at 0 and 1) completed by an in-process worker; one sample's prompt then
    /// overwritten with `hostilePrompt`.
    static func completedRun(_ db: TestDatabase, name: String, events: WorkerEventLog? = nil) throws -> Connection {
        let dir = NSTemporaryDirectory() + "flowcps-dashboard-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try tinyRun(dir, name: name)
        let c = try db.connect()
        _ = try Runs(connection: c).submit(config: config)
        var o = WorkerOptions()
        o.owner = "dashboard-test"
        o.exitWhenIdle = true
        o.retryBaseSeconds = 0.001
        if let events { o.observer = { events.add($0) } }
        _ = try Worker(url: db.url, options: o, logger: Logger(label: "test")).run(stop: StopSignal())
        try c.execute("UPDATE samples SET prompt = \(hostilePrompt) WHERE prompt_index = 0 AND sample_index = 0")
        return c
    }

    static func tinyRun(_ dir: String, name: String) throws -> RunConfig {
        try TinyRun.config(dir, name: name)
    }

    /// Runs `body` against a dashboard on a free loopback port of this process, stopped afterwards.
    static func withServer(_ db: TestDatabase, token: String? = nil, _ body: (TestHTTPClient) async throws -> Void) async throws {
        var options = DashboardOptions()
        options.token = token.flatMap(ActionToken.init)
        options.cacheSeconds = 0
        let server = try await RunningServer.start(router: Dashboard(url: db.url, options: options).router(), host: "127.0.0.1",
                                                   port: 0, logger: Self.quietLogger)
        do {
            try await body(TestHTTPClient(port: server.port))
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// The server's own log lines (shutdown notices) stay out of the test output.
    static var quietLogger: Logger {
        var l = Logger(label: "test")
        l.logLevel = .critical
        return l
    }

    static func text(_ r: TestResponse) -> String { String(decoding: r.body, as: UTF8.self) }
    static func bytes(_ r: TestResponse) -> [UInt8] { r.body }
    static func decode<T: Decodable>(_ type: T.Type, _ r: TestResponse) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(bytes(r)))
    }
    static func path(_ name: String) -> String { DashboardPath.segment(name) }

    /// The headers every answer carries.
    static func expectHardened(_ r: TestResponse) {
        let csp = r.headers[HTTPField.Name("Content-Security-Policy")!] ?? ""
        #expect(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"))
        #expect(r.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
    }

    @Test func pagesShowHostileTextOnlyEscaped() async throws {
        let db = try TestDatabase()
        _ = try Self.completedRun(db, name: Self.hostileName)
        try await Self.withServer(db) { client in
            let runs = try await client.execute(uri: "/", method: .get)
            #expect(runs.status == .ok)
            #expect(runs.headers[.contentType] == "text/html; charset=utf-8")
            Self.expectHardened(runs)
            #expect(Self.text(runs).contains("data-page=\"runs\""))

            let page = try await client.execute(uri: "/runs/" + Self.path(Self.hostileName), method: .get)
            #expect(page.status == .ok)
            Self.expectHardened(page)
            let html = Self.text(page)
            #expect(!html.contains("<script>alert") && !html.contains("<img src=x"))
            #expect(html.contains("&lt;script&gt;alert(&quot;run&quot;)&lt;\\script&gt; &lt;img src=x onerror=&#39;alert(1)&#39;&gt; &amp; ünïcødé ✓"))
            // The only scripts a page loads are the server's own; none is inline.
            #expect(html.components(separatedBy: "<script").count == 2)
            #expect(html.contains("<script src=\"/assets/dashboard.js\" defer></script>"))

            #expect(try await client.execute(uri: "/runs/" + Self.path("no such run"), method: .get).status == .notFound)
            let queue = try await client.execute(uri: "/queue", method: .get)
            #expect(queue.status == .ok && Self.text(queue).contains("data-page=\"queue\""))
        }
    }

    @Test func jsonCarriesHostileTextExactly() async throws {
        let db = try TestDatabase()
        let c = try Self.completedRun(db, name: Self.hostileName)
        try await Self.withServer(db) { client in
            let list = try await client.execute(uri: "/api/runs", method: .get)
            #expect(list.status == .ok && list.headers[.contentType] == "application/json; charset=utf-8")
            Self.expectHardened(list)
            let overview = try Self.decode(RunsOverview.self, list)
            #expect(overview.runs.map(\.name) == [Self.hostileName])
            #expect(overview.runs[0].state == "completed" && overview.runs[0].step == 1 && overview.runs[0].steps == 1)
            #expect(overview.runs[0].sparkline.count == 1 && overview.runs[0].eval?.step == 1)

            let one = try await client.execute(uri: "/api/runs/" + Self.path(Self.hostileName), method: .get)
            #expect(one.status == .ok)
            let detail = try Self.decode(RunDetail.self, one)
            #expect(detail.run.name == Self.hostileName)
            #expect(detail.eval["overall"]?.map(\.step) == [0, 1])
            #expect(detail.eval["overall"]?.allSatisfy { $0.se != nil } == true)
            #expect(detail.beforeAfter.last?.category == "overall")
            #expect(detail.reward.map(\.step) == [0])
            #expect(detail.evalSteps == [0, 1])
            #expect(detail.sampleStep == 0 && detail.samples.count == 4)
            #expect(detail.samples.first?.prompt == Self.hostilePrompt)
            #expect(Set(detail.jobs.map(\.stage)).isSuperset(of: ["plan", "rollout", "score", "advantage", "train", "eval"]))
            #expect(detail.jobs.allSatisfy { $0.available == 0 && $0.running == 0 && $0.failed == 0 })
            #expect(detail.config.contains("steps: 1"))
            #expect(Set(detail.stageSeconds.keys).isSuperset(of: ["rollout", "train"]))

            // The rollout image is the stored PNG, byte for byte.
            let sample = detail.samples[1]
            let png = try await client.execute(uri: sample.png, method: .get)
            #expect(png.status == .ok && png.headers[.contentType] == "image/png")
            let stored = try c.execute(SampleStatements.png(runID: try Runs(connection: c).find(Self.hostileName).id, step: 0,
                                                            prompt: sample.promptIndex, sample: sample.sampleIndex)).rows[0].bytes("png")
            #expect(Self.bytes(png) == stored)
            #expect(try await client.execute(uri: "/api/runs/\(Self.path(Self.hostileName))/samples/0/9/9.png", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/api/runs/\(Self.path(Self.hostileName))/samples/0/0/x.gif", method: .get).status == .badRequest)

            // The eval grid decodes: 2 categories of one 32 px image each, drawn at twice the size.
            let grid = try await client.execute(uri: try #require(detail.evalGrid), method: .get)
            #expect(grid.status == .ok && grid.headers[.contentType] == "image/png")
            let image = try PNGCodec.decode(Self.bytes(grid))
            #expect(image.width >= 64 && image.height >= 128)
            #expect(try await client.execute(uri: "/api/runs/\(Self.path(Self.hostileName))/eval-grid.png?step=x", method: .get).status == .badRequest)
            #expect(try await client.execute(uri: "/api/runs/\(Self.path(Self.hostileName))/eval-grid.png?step=7", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/api/runs/nobody", method: .get).status == .notFound)

            let queue = try Self.decode(QueueSnapshot.self, try await client.execute(uri: "/api/queue", method: .get))
            #expect(queue.running.isEmpty && queue.claimable.isEmpty && queue.failures.isEmpty)

            let index = try Self.decode(APIIndex.self, try await client.execute(uri: "/api", method: .get))
            #expect(index.routes.count == Dashboard.routes.count && index.actions == false)

            for (uri, type) in [("/assets/dashboard.js", "text/javascript; charset=utf-8"), ("/assets/dashboard.css", "text/css; charset=utf-8"),
                                ("/favicon.svg", "image/svg+xml"), ("/favicon.ico", "image/svg+xml")] {
                let r = try await client.execute(uri: uri, method: .get)
                #expect(r.status == .ok && r.headers[.contentType] == type, "\(uri)")
            }
        }
    }

    /// Polls revalidate by entity tag (304 without a body), and an answer kept on an unchanged fingerprint still
    /// follows every change a page shows: a run update and a job transition each change the answer at once.
    @Test func answersRevalidateAndFollowChanges() async throws {
        let db = try TestDatabase()
        let c = try Self.completedRun(db, name: "tagged")
        try await Self.withServer(db) { client in
            let first = try await client.execute(uri: "/api/runs/tagged", method: .get)
            let tag = try #require(first.headers[.eTag])
            #expect(first.status == .ok && first.headers[.cacheControl] == "no-cache")
            let again = try await client.execute(uri: "/api/runs/tagged", method: .get, headers: [.ifNoneMatch: tag])
            #expect(again.status == .notModified && again.body.isEmpty && again.headers[.eTag] == tag)
            let other = try await client.execute(uri: "/api/runs/tagged", method: .get, headers: [.ifNoneMatch: "\"0-0\""])
            #expect(other.status == .ok && other.body == first.body)
            let list = try await client.execute(uri: "/api/runs", method: .get)
            let listTag = try #require(list.headers[.eTag])

            // A job transition (here a completed job marked failed by hand) shows on the next poll.
            try c.execute("UPDATE jobs SET state = 'failed' WHERE id = (SELECT min(j.id) FROM jobs j JOIN runs r ON r.id = j.run_id WHERE r.name = 'tagged' AND j.stage = 'train')")
            let failed = try await client.execute(uri: "/api/runs/tagged", method: .get, headers: [.ifNoneMatch: tag])
            #expect(failed.status == .ok)
            let detail = try Self.decode(RunDetail.self, failed)
            #expect(detail.jobs.first { $0.stage == "train" }?.failed == 1)

            // A run update (a pause reason) shows on both the run and the runs answers.
            try c.execute("UPDATE runs SET reason = 'looked at' WHERE name = 'tagged'")
            let run = try Self.decode(RunDetail.self, try await client.execute(uri: "/api/runs/tagged", method: .get))
            #expect(run.run.reason == "looked at")
            let relisted = try await client.execute(uri: "/api/runs", method: .get, headers: [.ifNoneMatch: listTag])
            #expect(relisted.status == .ok)
            #expect(try Self.decode(RunsOverview.self, relisted).runs.first?.reason == "looked at")
        }
    }

    @Test func failuresRunningJobsAndSchedulesReachTheQueuePage() async throws {
        let db = try TestDatabase()
        let c = try db.connect()
        let run = try db.insertRun(c, name: Self.hostileName)
        try c.execute("""
            INSERT INTO jobs (run_id, stage, step, state, attempt, priority, dedupe_key, errors)
            VALUES (\(run), 'rollout', 3, 'available', 1, 4, 'a', '[{"attempt": 1, "at": "2026-01-01T00:00:00Z", "owner": "w1", "error": "<b>boom</b> ✗"}]')
            """)
        try c.execute("""
            INSERT INTO jobs (run_id, stage, step, state, attempt, priority, dedupe_key, lease_owner, lease_expires_at, heartbeat_at, attempted_at)
            VALUES (\(run), 'train', 2, 'running', 1, 0, 'b', 'host:1:abc', now() + interval '20 seconds', now(), now())
            """)
        try await Self.withServer(db) { client in
            let q = try Self.decode(QueueSnapshot.self, try await client.execute(uri: "/api/queue", method: .get))
            #expect(q.claimable.map(\.stage) == ["rollout"] && q.claimable[0].ready == 1 && q.claimable[0].priority == 4)
            #expect(q.running.map(\.worker) == ["host:1:abc"] && q.running[0].run == Self.hostileName)
            #expect((q.running[0].heartbeatAgeSeconds ?? 99) < 30 && (q.running[0].leaseLeftSeconds ?? 0) > 5)
            #expect(q.failures.map(\.error) == ["<b>boom</b> ✗"] && q.failures[0].worker == "w1" && q.failures[0].attempt == 1)
        }
    }

    @Test func metricsMatchSQL() async throws {
        let db = try TestDatabase()
        let c = try Self.completedRun(db, name: Self.hostileName)
        // One failed attempt by the reaper (a lost lease), so the counters have something to count.
        try c.execute("""
            UPDATE jobs SET errors = '[{"attempt": 1, "error": "lease expired (worker stopped heartbeating)"}]', attempt = 2
            WHERE id = (SELECT min(id) FROM jobs WHERE stage = 'rollout')
            """)
        try await Self.withServer(db) { client in
            let r = try await client.execute(uri: "/metrics", method: .get)
            #expect(r.status == .ok && r.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let samples = PrometheusSamples(Self.text(r))
            for row in try c.execute("SELECT stage, state, count(*) AS n FROM jobs GROUP BY stage, state").rows {
                let key = "flowcps_jobs{stage=\"\(try row.string("stage"))\",state=\"\(try row.string("state"))\"}"
                #expect(samples[key] == Double(try row.int("n")), "\(key)")
            }
            #expect(samples["flowcps_job_lost_leases_total{stage=\"rollout\"}"] == 1)
            #expect(samples["flowcps_job_retries_total{stage=\"rollout\"}"] == 1)
            #expect(samples["flowcps_job_failed_attempts_total{stage=\"train\"}"] == 0)
            let trains = try c.execute("SELECT count(*) AS n FROM jobs WHERE stage = 'train' AND state = 'completed'").rows[0].int("n")
            #expect(samples["flowcps_job_duration_seconds_count{stage=\"train\"}"] == Double(trains))
            #expect(samples["flowcps_job_duration_seconds_bucket{stage=\"train\",le=\"+Inf\"}"] == Double(trains))
            // The run's label is its name with quotes and backslashes escaped as the format requires.
            let label = PrometheusText.labelValue(Self.hostileName)
            #expect(samples["flowcps_run_steps_done{run=\"\(label)\"}"] == 1)
            #expect(samples["flowcps_run_info{run=\"\(label)\",state=\"completed\"}"] == 1)
            #expect(samples["flowcps_run_eval_strict{run=\"\(label)\"}"] != nil)
        }
    }

    @Test func actionsNeedTheToken() async throws {
        let db = try TestDatabase()
        let dir = NSTemporaryDirectory() + "flowcps-dashboard-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let c = try db.connect()
        _ = try Runs(connection: c).submit(config: try Self.tinyRun(dir, name: Self.hostileName))
        func state() throws -> String { try Runs(connection: c).find(Self.hostileName).state.rawValue }
        let uri = "/api/runs/\(Self.path(Self.hostileName))/"
        let token = "correct horse battery staple"
        try await Self.withServer(db) { client in
            let r = try await client.execute(uri: uri + "pause", method: .post, headers: [.authorization: "Bearer " + token])
            #expect(r.status == .forbidden)
        }
        #expect(try state() == "active")
        try await Self.withServer(db, token: token) { client in
            try await Self.checkActions(client, uri: uri, token: token, state: state)
        }
    }

    /// With the token on: wrong or missing tokens and GETs change nothing; the right one pauses, resumes, cancels.
    static func checkActions(_ client: TestHTTPClient, uri: String, token: String, state: () throws -> String) async throws {
        let wrong: [HTTPFields] = [[:], [.authorization: "Bearer wrong token of some length"], [.authorization: token],
                                   [.authorization: "Bearer " + token + "x"]]
        for headers in wrong {
            let r = try await client.execute(uri: uri + "pause", method: .post, headers: headers)
            #expect(r.status == .unauthorized)
        }
        let auth: HTTPFields = [.authorization: "Bearer " + token]
        // A GET never acts.
        let get = try await client.execute(uri: uri + "pause", method: .get, headers: auth)
        #expect(get.status != .ok)
        #expect(try state() == "active")
        let pause = try await client.execute(uri: uri + "pause", method: .post, headers: auth)
        #expect(pause.status == .ok)
        #expect(try state() == "paused")
        let resume = try await client.execute(uri: uri + "resume", method: .post, headers: auth)
        #expect(resume.status == .ok)
        #expect(try state() == "active")
        let cancel = try await client.execute(uri: uri + "cancel", method: .post, headers: auth)
        #expect(cancel.status == .ok)
        #expect(try state() == "cancelled")
        let again = try await client.execute(uri: uri + "resume", method: .post, headers: auth)
        #expect(again.status == .conflict)
        let nobody = try await client.execute(uri: "/api/runs/nobody/pause", method: .post, headers: auth)
        #expect(nobody.status == .notFound)
    }

    @Test func sweepRunsAreGroupedUnderTheirSweep() async throws {
        let db = try TestDatabase()
        let c = try db.connect()
        let loose = try db.insertRun(c, name: "loose")
        let a = try db.insertRun(c, name: "lr-a"), b = try db.insertRun(c, name: "lr-b")
        _ = loose
        let sweep = Int64(try c.execute("INSERT INTO sweeps (name, file) VALUES ('lr \"sweep\"', 'x') RETURNING id").rows[0].int("id"))
        try c.execute("INSERT INTO sweep_runs (sweep_id, run_id, point, seed, overrides) VALUES (\(sweep), \(a), 1, 0, 'train.lr=1e-5'), (\(sweep), \(b), 2, 1, 'train.lr=3e-5')")
        try await Self.withServer(db) { client in
            let o = try Self.decode(RunsOverview.self, try await client.execute(uri: "/api/runs", method: .get))
            #expect(o.sweeps == ["lr \"sweep\""])
            let bySweep = Dictionary(uniqueKeysWithValues: o.runs.map { ($0.name, $0) })
            #expect(bySweep["loose"]?.sweep == nil)
            #expect(bySweep["lr-a"]?.sweep == "lr \"sweep\"" && bySweep["lr-a"]?.point == 1 && bySweep["lr-a"]?.overrides == "train.lr=1e-5")
            #expect(bySweep["lr-b"]?.seed == 1 && bySweep["lr-b"]?.point == 2)
        }
    }

    @Test func readsCannotWrite() async throws {
        let db = try TestDatabase()
        let pool = ReadPool(url: db.url, size: 1)
        await #expect(throws: StoreError.self) {
            try await pool.read { c in try c.execute("DELETE FROM runs") }
        }
        // The failed read left the pooled connection usable.
        #expect(try await pool.read { c in try c.execute("SELECT 1 AS one").rows[0].int("one") } == 1)
    }

    @Test func workerMetricsCountTheWorkersJobs() async throws {
        let db = try TestDatabase()
        let events = WorkerEventLog()
        let c = try Self.completedRun(db, name: "metrics", events: events)
        let completed = try c.execute("SELECT count(*) AS n FROM jobs WHERE state = 'completed'").rows[0].int("n")
        #expect(events.events.filter { if case .completed = $0 { return true } else { return false } }.count == completed)
        let metrics = WorkerMetrics()
        for e in events.events { metrics.record(e) }
        metrics.record(.failed(stage: "eval", retried: true))
        metrics.record(.lostLease(stage: "train"))
        let samples = PrometheusSamples(metrics.text())
        let rollouts = try c.execute("SELECT count(*) AS n FROM jobs WHERE stage = 'rollout'").rows[0].int("n")
        #expect(samples["flowcps_worker_jobs_total{stage=\"rollout\"}"] == Double(rollouts))
        #expect(samples["flowcps_worker_job_duration_seconds_count{stage=\"rollout\"}"] == Double(rollouts))
        #expect(samples["flowcps_worker_failed_attempts_total{stage=\"eval\",retried=\"true\"}"] == 1)
        #expect(samples["flowcps_worker_lost_leases_total{stage=\"train\"}"] == 1)
        let server = try await RunningServer.start(router: WorkerMetrics.router(metrics), host: "127.0.0.1", port: 0,
                                                   logger: Self.quietLogger)
        let r = try await TestHTTPClient(port: server.port).execute(uri: "/metrics", method: .get)
        await server.stop()
        #expect(r.status == .ok && PrometheusSamples(Self.text(r))["flowcps_worker_lost_leases_total{stage=\"train\"}"] == 1)
    }
}

/// Events a test worker reported.
final class WorkerEventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [WorkerEvent] = []
    func add(_ e: WorkerEvent) { lock.withLock { list.append(e) } }
    var events: [WorkerEvent] { lock.withLock { list } }
}

/// Sample lines of a Prometheus text exposition by their series (name and labels as written), for lookups.
struct PrometheusSamples {
    private var values: [String: Double] = [:]
    init(_ text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            let value = String(line[line.index(after: space)...])
            values[String(line[..<space])] = value == "+Inf" ? .infinity : Double(value)
        }
    }
    subscript(_ series: String) -> Double? { values[series] }
}
