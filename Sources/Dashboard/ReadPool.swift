import Dispatch
import Foundation
import Store

/// The dashboard's database access: a few libpq connections shared by every request. libpq blocks, so each call
/// runs on a dispatch thread, never on the server's event loops; reads run in a READ ONLY transaction (one snapshot
/// per view, and no way for a read to change anything), actions in an ordinary one. At most `size` connections are
/// open; further callers wait for one.
public final class ReadPool: @unchecked Sendable {
    /// The libpq URL the connections open.
    public let url: String
    /// The most connections open at once.
    public let size: Int
    /// Longest a statement may run before the server ends it, in seconds.
    public let statementTimeout: Double
    private let condition = NSCondition()
    private var idle: [Connection] = []
    private var open = 0
    private let queue = DispatchQueue(label: "flowcps.dashboard.database", attributes: .concurrent)

    public init(url: String, size: Int = 4, statementTimeout: Double = 10) {
        self.url = url
        self.size = max(1, size)
        self.statementTimeout = statementTimeout
    }

    /// Runs `body` in a READ ONLY transaction on a pooled connection.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await run { c in
            try c.execute("BEGIN TRANSACTION READ ONLY")
            do {
                let value = try body(c)
                try c.execute("COMMIT")
                return value
            } catch {
                if c.isHealthy { _ = try? c.execute("ROLLBACK") }
                throw error
            }
        }
    }

    /// Runs `body` (which opens its own transactions) on a pooled connection: the dashboard's actions.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await run(body)
    }

    private func run<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.withConnection(body) })
            }
        }
    }

    private func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        let c = try checkOut()
        do {
            let value = try body(c)
            checkIn(c)
            return value
        } catch {
            checkIn(c)
            throw error
        }
    }

    private func checkOut() throws -> Connection {
        condition.lock()
        while idle.isEmpty && open >= size { condition.wait() }
        if let c = idle.popLast() {
            condition.unlock()
            return c
        }
        open += 1
        condition.unlock()
        do {
            let c = try Connection(url: url)
            try c.secure(statementTimeout: statementTimeout, idleInTransactionTimeout: statementTimeout * 3)
            return c
        } catch {
            condition.lock()
            open -= 1
            condition.signal()
            condition.unlock()
            throw error
        }
    }

    /// Returns a connection to the pool; a broken one is closed instead, and the next caller opens a fresh one.
    private func checkIn(_ c: Connection) {
        condition.lock()
        if c.isHealthy { idle.append(c) } else { open -= 1 }
        condition.signal()
        condition.unlock()
    }
}
