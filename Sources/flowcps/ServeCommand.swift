import ArgumentParser
import Dashboard
import Foundation
import Logging
import Store

/// `flowcps serve`: the live dashboard and the pipeline's Prometheus endpoint.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the live dashboard (runs, a run's curves and samples, queue and workers) and /metrics.",
        discussion: """
        Pages poll JSON endpoints (GET /api lists them) every two seconds; every read is a READ ONLY transaction, \
        and answers are shared by all clients for --cache seconds. Actions (pause, resume, cancel) are off unless a \
        token is given: POST with `Authorization: Bearer <token>`. See docs/dashboard.md.
        """)

    @Option(help: "Address to bind (default: loopback only; 0.0.0.0 exposes the pipeline to the network).")
    var host = "127.0.0.1"
    @Option(help: "Port (0: any free port, printed).")
    var port = 8080
    @Option(help: "File holding the token that enables actions (at least 16 characters; FLOWCPS_DASHBOARD_TOKEN also works).")
    var tokenFile: String?
    @Option(help: "Seconds an answer is shared by all clients.")
    var cache = 1.0
    @Option(help: "Database connections the server may hold.")
    var connections = 4
    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "notice"

    func validate() throws {
        if !(0...65_535).contains(port) { throw ValidationError("--port must be in 0…65535, got \(port)") }
        if !(cache >= 0 && cache <= 3600) { throw ValidationError("--cache must be in 0…3600 seconds, got \(cache)") }
        if !(1...64).contains(connections) { throw ValidationError("--connections must be in 1…64, got \(connections)") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \(logLevel)") }
    }

    /// The action token from --token-file or FLOWCPS_DASHBOARD_TOKEN (surrounding whitespace ignored); nil: none.
    func token() throws -> ActionToken? {
        var text: String?
        if let tokenFile {
            guard let t = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw ValidationError("--token-file: cannot read \(tokenFile)")
            }
            text = t
        } else if let t = ProcessInfo.processInfo.environment["FLOWCPS_DASHBOARD_TOKEN"], !t.isEmpty {
            text = t
        }
        guard let raw = text?.trimmingCharacters(in: .whitespacesAndNewlines) else { return nil }
        guard let token = ActionToken(raw) else {
            throw ValidationError("the action token must be at least \(ActionToken.minimumLength) characters")
        }
        return token
    }

    func run() throws {
        var logger = Logger(label: "flowcps.serve")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .notice
        _ = try DB.connect()  // starts and migrates the embedded database when that is the one
        FlowCPS.note(DatabaseLocation.fromEnvironment().summary)
        var options = DashboardOptions()
        options.host = host
        options.port = port
        options.token = try token()
        options.cacheSeconds = cache
        options.connections = connections
        let dashboard = Dashboard(url: DatabaseLocation.fromEnvironment().connectionString, options: options)
        let server = try RunningServer.start(router: dashboard.router(), host: host, port: port, logger: logger,
                                             shutdownOnSignals: true)
        let shown = host.contains(":") ? "[\(host)]" : host
        print("dashboard: http://\(shown):\(server.port)/  (metrics: /metrics; actions \(options.token == nil ? "off" : "on"))")
        try server.wait()
    }
}
