import Foundation

/// Answers computed from the database, shared by every client asking within `ttl` seconds: fifty browsers polling
/// a run cost the database one query set per second, not fifty. Concurrent askers of a missing key wait for the one
/// computation (single flight). At most `capacity` keys are kept; the oldest go first, so memory stays bounded
/// whatever clients ask for.
public actor ResponseCache {
    /// A computed answer: its bytes and content type.
    public struct Entry: Sendable {
        public let body: [UInt8]
        public let contentType: String
        public init(body: [UInt8], contentType: String) {
            self.body = body
            self.contentType = contentType
        }
    }

    private struct Slot {
        let made: Date
        let ttl: TimeInterval
        let task: Task<Entry, Error>
    }

    public let ttl: TimeInterval
    public let capacity: Int
    private var slots: [String: Slot] = [:]

    public init(ttl: TimeInterval = 1, capacity: Int = 256) {
        self.ttl = ttl
        self.capacity = max(1, capacity)
    }

    /// The answer for `key`: cached when younger than its time to live (`ttl`, or the cache's), otherwise computed
    /// by `make` (once for all waiters). A failed computation is not kept.
    public func value(_ key: String, ttl: TimeInterval? = nil, make: @escaping @Sendable () async throws -> Entry) async throws -> Entry {
        let now = Date()
        if let s = slots[key], now.timeIntervalSince(s.made) < s.ttl {
            return try await s.task.value
        }
        let task = Task { try await make() }
        slots[key] = Slot(made: now, ttl: ttl ?? self.ttl, task: task)
        if slots.count > capacity { evictOldest() }
        do {
            return try await task.value
        } catch {
            if let s = slots[key], s.made == now { slots[key] = nil }
            throw error
        }
    }

    /// Keys held now (for tests of the bound).
    public var count: Int { slots.count }

    private func evictOldest() {
        let excess = slots.count - capacity
        guard excess > 0 else { return }
        for (key, _) in slots.sorted(by: { $0.value.made < $1.value.made }).prefix(excess) { slots[key] = nil }
    }
}
