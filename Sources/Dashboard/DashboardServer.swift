import Foundation
import HTTPTypes
import Hummingbird
import Imaging
import Logging
import Pipeline
import Report
import Store

/// How `flowcps serve` runs.
public struct DashboardOptions: Sendable {
    /// Address to bind: loopback by default, so only this machine's users see the pipeline.
    public var host = "127.0.0.1"
    public var port = 8080
    /// The token that unlocks pause, resume and cancel; nil: actions are off.
    public var token: ActionToken?
    /// How long an answer computed from the database is shared by every client.
    public var cacheSeconds = 1.0
    /// Database connections the server holds at most.
    public var connections = 4

    public init() {}
}

/// The dashboard: HTML pages, the JSON behind each, images, actions and `/metrics`, all read from the pipeline's
/// database through `ReadPool` (reads in READ ONLY transactions) and `ResponseCache`. docs/dashboard.md lists the
/// routes.
public struct Dashboard: Sendable {
    public let pool: ReadPool
    public let cache: ResponseCache
    public let options: DashboardOptions

    public init(url: String, options: DashboardOptions) {
        self.options = options
        pool = ReadPool(url: url, size: options.connections)
        cache = ResponseCache(ttl: options.cacheSeconds)
    }

    /// Every route, documented at `GET /api` and in docs/dashboard.md.
    public static let routes: [(method: String, path: String, what: String)] = [
        ("GET", "/", "page: every run (state, step, ETA, latest reward and eval, sparkline), sweeps grouped"),
        ("GET", "/runs/{name}", "page: one run's curves, before/after table, eval grid, rollout samples, jobs, run file"),
        ("GET", "/queue", "page: claimable and running jobs, workers, failures, schedules, external rewards"),
        ("GET", "/api/runs", "JSON of the runs page"),
        ("GET", "/api/runs/{name}", "JSON of the run page"),
        ("GET", "/api/runs/{name}/eval-grid.png?step={step}", "PNG: the eval images of a step (the latest without step)"),
        ("GET", "/api/runs/{name}/samples/{step}/{prompt}/{sample}.png", "PNG: one rollout image"),
        ("GET", "/api/queue", "JSON of the queue page"),
        ("POST", "/api/runs/{name}/pause", "pause the run (Authorization: Bearer <token>; off without --token-file)"),
        ("POST", "/api/runs/{name}/resume", "resume the run (same)"),
        ("POST", "/api/runs/{name}/cancel", "cancel the run for good (same)"),
        ("GET", "/metrics", "Prometheus text format: queue depth, job durations, failures, lost leases, retries, per-run series"),
    ]

    /// The router of every route.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: SecurityHeaders())
        let actions = options.token != nil
        router.get("/") { _, _ in Dashboard.html(DashboardPages.shell(.runs, actions: actions)) }
        router.get("/queue") { _, _ in Dashboard.html(DashboardPages.shell(.queue, actions: actions)) }
        router.get("/runs/:name") { _, context in
            let name = try Dashboard.parameter(context, "name")
            return await respond {
                let exists = try await pool.read { c in try c.execute(RunStatements.byName(name)).single() != nil }
                guard exists else { throw PipelineError.noSuchRun(name) }
                return Dashboard.html(DashboardPages.shell(.run, run: name, actions: actions))
            }
        }
        router.get("/assets/dashboard.js") { _, _ in Dashboard.bytes(Array(DashboardScript.source.utf8), "text/javascript; charset=utf-8", maxAge: 60) }
        router.get("/assets/dashboard.css") { _, _ in Dashboard.bytes(Array(DashboardPages.style.utf8), "text/css; charset=utf-8", maxAge: 60) }
        for icon in ["/favicon.svg", "/favicon.ico"] {
            router.get(RouterPath(icon)) { _, _ in Dashboard.bytes(Array(DashboardPages.favicon.utf8), "image/svg+xml", maxAge: 3600) }
        }
        router.get("/api") { _, _ in
            await respond {
                try Dashboard.json(APIIndex(routes: Dashboard.routes.map { APIIndex.Route(method: $0.method, path: $0.path, what: $0.what) },
                                            actions: actions))
            }
        }
        router.get("/api/runs") { request, _ in
            await respond {
                try await cached("runs", request, revalidation: revalidation(run: nil)) { try await pool.read { c in try RunsOverview.load(c) } }
            }
        }
        router.get("/api/queue") { request, _ in
            await respond { try await cached("queue", request) { try await pool.read { c in try QueueSnapshot.load(c) } } }
        }
        router.get("/api/runs/:name") { request, context in
            let name = try Dashboard.parameter(context, "name")
            return await respond {
                try await cached("run\u{0}" + name, request, revalidation: revalidation(run: name)) {
                    try await pool.read { c in try RunDetail.load(c, name: name) }
                }
            }
        }
        router.get("/api/runs/:name/eval-grid.png") { request, context in
            let name = try Dashboard.parameter(context, "name")
            let stepText = request.uri.queryParameters.get("step").map { String($0) }
            return await respond {
                var step: Int?
                if let t = stepText {
                    guard let s = Int(t), s >= 0 else { throw DashboardError.badRequest("step must be a step number, got \"\(t)\"") }
                    step = s
                }
                let chosen = step
                return try await cachedPNG("grid\u{0}\(name)\u{0}\(chosen.map(String.init) ?? "latest")", maxAge: 10, ttl: 10) {
                    try await pool.read { c in try Dashboard.evalGrid(c, run: name, step: chosen) }
                }
            }
        }
        router.get("/api/runs/:name/samples/:step/:prompt/:sample") { _, context in
            let name = try Dashboard.parameter(context, "name")
            return await respond {
                let file = try Dashboard.parameter(context, "sample")
                guard file.hasSuffix(".png"), let sample = Int(file.dropLast(4)),
                      let step = Int(try Dashboard.parameter(context, "step")), let prompt = Int(try Dashboard.parameter(context, "prompt"))
                else { throw DashboardError.badRequest("expected /api/runs/{name}/samples/{step}/{prompt}/{sample}.png") }
                // A stored rollout image never changes: one read serves every client for a minute.
                return try await cachedPNG("sample\u{0}\(name)\u{0}\(step)/\(prompt)/\(sample)", maxAge: 86_400, ttl: 60) {
                    let png = try await pool.read { c -> [UInt8]? in
                        let id = try Runs(connection: c).find(name).id
                        return try c.execute(SampleStatements.png(runID: id, step: step, prompt: prompt, sample: sample)).single()?.bytes("png")
                    }
                    guard let png else { throw DashboardError.notFound("run \(name) has no sample \(step)/\(prompt)/\(sample)") }
                    return png
                }
            }
        }
        router.get("/metrics") { _, _ in
            await respond {
                let entry = try await cache.value("metrics") {
                    let text: String = try await pool.read { c in try ClusterMetrics.scrape(c) }
                    return ResponseCache.Entry(body: Array(text.utf8), contentType: "text/plain; version=0.0.4; charset=utf-8")
                }
                return Dashboard.response(entry, maxAge: 0)
            }
        }
        for action in RunAction.allCases {
            router.post("/api/runs/:name/\(action.rawValue)") { request, context in
                let name = try Dashboard.parameter(context, "name")
                return await respond {
                    guard let token = options.token else {
                        throw DashboardError.forbidden("actions are off: start `flowcps serve` with --token-file to enable them")
                    }
                    guard token.accepts(authorization: request.headers[.authorization]) else {
                        throw DashboardError.unauthorized("missing or wrong action token (Authorization: Bearer <token>)")
                    }
                    try await pool.write { c in
                        let runs = Runs(connection: c)
                        switch action {
                        case .pause: try runs.pause(name)
                        case .resume: try runs.resume(name)
                        case .cancel: try runs.cancel(name)
                        }
                    }
                    return try Dashboard.json(["run": name, "action": action.rawValue, "result": "done"])
                }
            }
        }
        return router
    }

    // MARK: Helpers

    /// A JSON answer computed at most once per `cacheSeconds` for all clients (and, with a revalidation, only when
    /// its fingerprint changed). It carries an entity tag; a request whose `If-None-Match` names it gets 304 and no
    /// body, which is what the page's polls (`cache: "no-cache"`) send.
    func cached<T: Encodable & Sendable>(_ key: String, _ request: Request, revalidation: ResponseCache.Revalidation? = nil,
                                         _ load: @escaping @Sendable () async throws -> T) async throws -> Response {
        let entry = try await cache.value(key, revalidation: revalidation) {
            ResponseCache.Entry(body: try Dashboard.encoder.encode(try await load()).map { $0 }, contentType: "application/json; charset=utf-8")
        }
        if let asked = request.headers[.ifNoneMatch], asked.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == entry.etag }) {
            var headers = HTTPFields()
            headers[.eTag] = entry.etag
            headers[.cacheControl] = "no-cache"
            return Response(status: .notModified, headers: headers)
        }
        var response = Dashboard.response(entry, maxAge: 0)
        response.headers[.eTag] = entry.etag
        response.headers[.cacheControl] = "no-cache"
        return response
    }

    /// How long a run answer is kept while nothing in the run changed: its times (ETA, waits) stay at most this old.
    static let unchangedMaxAge: TimeInterval = 10

    /// Revalidation of the run page's answer (the runs page's when `run` is nil): the run rows and the jobs'
    /// transitions, read in one cheap query set. Every write a run page shows is committed with a job transition
    /// or a run update, so an unchanged fingerprint means an unchanged answer, up to `unchangedMaxAge`.
    func revalidation(run: String?) -> ResponseCache.Revalidation {
        let pool = pool
        return ResponseCache.Revalidation(maxAge: Dashboard.unchangedMaxAge) {
            try await pool.read { c in
                guard let row = try c.execute(RunStatements.rowFingerprint(name: run)).single() else { return "no such run" }
                let runPart = try row.string("fingerprint")
                let runID = try run.map { _ in Int64(try row.int("id")) }
                let jobs = try c.execute(JobStatements.transitionFingerprint(runID: runID)).single()?.string("fingerprint") ?? ""
                return runPart + "/" + jobs
            }
        }
    }

    func cachedPNG(_ key: String, maxAge: Int, ttl: TimeInterval? = nil,
                   _ load: @escaping @Sendable () async throws -> [UInt8]) async throws -> Response {
        Dashboard.response(try await cache.value(key, ttl: ttl) { ResponseCache.Entry(body: try await load(), contentType: "image/png") },
                           maxAge: maxAge)
    }

    /// Runs `body`, turning every error into a JSON error response with the right status.
    func respond(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let e as DashboardError {
            return Dashboard.error(e.status, e.message)
        } catch let e as PipelineError {
            if case .noSuchRun = e { return Dashboard.error(.notFound, "\(e)") }
            return Dashboard.error(.conflict, "\(e)")
        } catch let e as StoreError {
            return Dashboard.error(.serviceUnavailable, "database: \(e)")
        } catch {
            return Dashboard.error(.internalServerError, "\(error)")
        }
    }

    /// A path parameter, percent-decoded.
    static func parameter(_ context: BasicRequestContext, _ key: String) throws -> String {
        let raw = try context.parameters.require(key)
        guard let decoded = raw.removingPercentEncoding else { throw HTTPError(.badRequest, message: "bad percent-encoding in \(key)") }
        return decoded
    }

    /// The eval grid of run `run` at `step` (the latest evaluated step when nil) as PNG bytes.
    static func evalGrid(_ c: Connection, run: String, step: Int?) throws -> [UInt8] {
        let id = try Runs(connection: c).find(run).id
        let steps = try c.execute(EvalSampleStatements.steps(runID: id)).rows.map { try $0.int("step") }
        guard let chosen = step ?? steps.last, steps.contains(chosen) else {
            throw DashboardError.notFound("run \(run) has no eval images" + (step.map { " at step \($0)" } ?? ""))
        }
        let images = try RunReportData.evalImages(c, runID: id, runName: run, step: chosen)
        return try PNGCodec.encode(RunReportData.grid(images: images, imagesPerCategory: 8))
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    static func json(_ value: some Encodable) throws -> Response {
        bytes(Array(try encoder.encode(value)), "application/json; charset=utf-8", maxAge: 0)
    }

    static func html(_ text: String) -> Response { bytes(Array(text.utf8), "text/html; charset=utf-8", maxAge: 0) }

    static func response(_ entry: ResponseCache.Entry, maxAge: Int) -> Response { bytes(entry.body, entry.contentType, maxAge: maxAge) }

    static func bytes(_ body: [UInt8], _ type: String, maxAge: Int) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = maxAge > 0 ? "max-age=\(maxAge)" : "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var r = (try? json(["error": message])) ?? html(message)
        r.status = status
        return r
    }
}

/// `GET /api`: the routes and whether actions are on.
struct APIIndex: Codable {
    struct Route: Codable {
        let method: String, path: String, what: String
    }
    let routes: [Route]
    let actions: Bool
}

/// What the dashboard's actions do to a run.
public enum RunAction: String, CaseIterable, Sendable {
    case pause, resume, cancel
}

/// A request the dashboard answers with an error status.
struct DashboardError: Error {
    let status: HTTPResponse.Status
    let message: String
    static func badRequest(_ m: String) -> DashboardError { DashboardError(status: .badRequest, message: m) }
    static func notFound(_ m: String) -> DashboardError { DashboardError(status: .notFound, message: m) }
    static func forbidden(_ m: String) -> DashboardError { DashboardError(status: .forbidden, message: m) }
    static func unauthorized(_ m: String) -> DashboardError { DashboardError(status: .unauthorized, message: m) }
}

/// Headers on every answer: a content security policy that allows only this server's own script, style and images
/// (no inline script, so injected markup could not run even if it reached a page), no MIME sniffing, no framing,
/// no referrer.
struct SecurityHeaders<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return response
    }
}
