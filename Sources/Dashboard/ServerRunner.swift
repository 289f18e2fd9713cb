import Dispatch
import Foundation
import Hummingbird
import Logging

/// A Hummingbird server started from synchronous code (the command line) or from async code (tests): `start`
/// returns once it listens (with the port it bound, useful with port 0) or throws why it could not; `wait` blocks
/// until it stops; `stop` shuts it down. The synchronous forms block their thread: never call them from a Swift
/// concurrency task, whose few threads the server itself needs.
public final class RunningServer: @unchecked Sendable {
    /// The port the server listens on.
    public private(set) var port = 0
    private var failure: Error?
    private var task: Task<Void, Never>?
    private let lock = NSLock()
    private let ready = Latch()
    private let finished = Latch()

    private init() {}

    /// Starts `router` on `host:port`, blocking until it listens. `shutdownOnSignals`: SIGTERM and SIGINT stop the
    /// server gracefully (for `flowcps serve`; a worker keeps its own handlers and just exits).
    public static func start(router: Router<BasicRequestContext>, host: String, port: Int, logger: Logger,
                             shutdownOnSignals: Bool) throws -> RunningServer {
        let server = launch(router: router, host: host, port: port, logger: logger, shutdownOnSignals: shutdownOnSignals)
        server.ready.wait()
        try server.checkStarted(host: host, port: port)
        return server
    }

    /// Starts `router` on `host:port` from async code, returning once it listens.
    public static func start(router: Router<BasicRequestContext>, host: String, port: Int, logger: Logger) async throws -> RunningServer {
        let server = launch(router: router, host: host, port: port, logger: logger, shutdownOnSignals: false)
        await server.ready.wait()
        try server.checkStarted(host: host, port: port)
        return server
    }

    private static func launch(router: Router<BasicRequestContext>, host: String, port: Int, logger: Logger,
                               shutdownOnSignals: Bool) -> RunningServer {
        let server = RunningServer()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "flowcps"),
            onServerRunning: { channel in
                server.lock.withLock { server.port = channel.localAddress?.port ?? port }
                server.ready.open()
            },
            logger: logger)
        let task = Task {
            do {
                try await app.runService(gracefulShutdownSignals: shutdownOnSignals ? [.sigterm, .sigint] : [])
            } catch {
                server.lock.withLock { server.failure = error }
            }
            server.ready.open()
            server.finished.open()
        }
        server.lock.withLock { server.task = task }
        return server
    }

    private func checkStarted(host: String, port: Int) throws {
        if let e = lock.withLock({ failure }) {
            throw DashboardStartError(message: "cannot serve on \(host):\(port): \(e)")
        }
    }

    /// Stops the server (open connections are closed) and waits until it has (async code).
    public func stop() async {
        lock.withLock { task }?.cancel()
        await finished.wait()
    }

    /// Blocks until the server stops; throws what stopped it, if it failed.
    public func wait() throws {
        finished.wait()
        if let e = lock.withLock({ failure }) { throw e }
    }
}

/// A one-shot gate that threads can block on and tasks can await.
final class Latch: @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private let semaphore = DispatchSemaphore(value: 0)

    func open() {
        let resumed: [CheckedContinuation<Void, Never>]? = lock.withLock {
            if isOpen { return nil }
            isOpen = true
            defer { waiters = [] }
            return waiters
        }
        guard let resumed else { return }
        resumed.forEach { $0.resume() }
        semaphore.signal()
    }

    func wait() {
        semaphore.wait()
        semaphore.signal()
    }

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let open = lock.withLock {
                if !isOpen { waiters.append(c) }
                return isOpen
            }
            if open { c.resume() }
        }
    }
}

/// A server that could not start (the port is taken, the host does not resolve), in one line.
public struct DashboardStartError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
