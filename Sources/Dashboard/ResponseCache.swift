import Foundation

/// Answers computed from the database, shared by every client asking within `ttl` seconds: fifty browsers polling
/// a run cost the database one query set per second, not fifty. Concurrent askers of a missing key wait for the one
/// computation (single flight). At most `capacity` keys are kept; the oldest go first, so memory stays bounded
/// whatever clients ask for.
///
/// An answer may come with a `Revalidation`: when its time to live is over, a cheap fingerprint query decides
/// whether the answer is still current (the run has not changed), and the answer is recomputed only when the
/// fingerprint changed or the answer is older than the revalidation's `maxAge`.
public actor ResponseCache {
    /// A computed answer: its bytes, content type and entity tag.
    public struct Entry: Sendable {
        public let body: [UInt8]
        public let contentType: String
        /// A strong entity tag of the body (a quoted 64-bit FNV-1a hash), for conditional requests.
        public let etag: String

        public init(body: [UInt8], contentType: String) {
            self.body = body
            self.contentType = contentType
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in body { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            etag = "\"\(String(h, radix: 16))-\(body.count)\""
        }
    }

    /// How an expired answer is checked before it is recomputed.
    public struct Revalidation: Sendable {
        /// The longest an answer is kept on an unchanged fingerprint; after it the answer is recomputed anyway
        /// (answers may hold times, such as how long a job has waited).
        public let maxAge: TimeInterval
        /// A cheap summary of what the answer is made from.
        public let fingerprint: @Sendable () async throws -> String

        public init(maxAge: TimeInterval, fingerprint: @escaping @Sendable () async throws -> String) {
            self.maxAge = maxAge
            self.fingerprint = fingerprint
        }
    }

    private struct Answer: Sendable {
        let entry: Entry
        let fingerprint: String?
        /// When the data the answer was computed from was read (its fingerprint was taken before).
        let computed: Date
    }

    private struct Slot {
        let checked: Date
        let ttl: TimeInterval
        let task: Task<Answer, Error>
    }

    public let ttl: TimeInterval
    public let capacity: Int
    private var slots: [String: Slot] = [:]
    /// Answers computed, and answers kept because their fingerprint had not changed (for tests and the bench).
    public private(set) var computations = 0
    public private(set) var revalidations = 0
    /// The time source: the wall clock, or a clock a test moves by hand.
    private let clock: @Sendable () -> Date

    /// A cache keeping answers `ttl` seconds and at most `capacity` keys; `clock` tells the time (tests pass a
    /// clock they move themselves, so expiry does not depend on how loaded the machine is).
    public init(ttl: TimeInterval = 1, capacity: Int = 256, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.ttl = ttl
        self.capacity = max(1, capacity)
        self.clock = clock
    }

    /// The answer for `key`: cached when checked within its time to live (`ttl`, or the cache's), otherwise
    /// revalidated (when `revalidation` is given) or computed by `make`, once for all waiters. A failed
    /// computation is not kept.
    public func value(_ key: String, ttl: TimeInterval? = nil, revalidation: Revalidation? = nil,
                      make: @escaping @Sendable () async throws -> Entry) async throws -> Entry {
        let now = clock()
        if let s = slots[key], now.timeIntervalSince(s.checked) < s.ttl {
            return try await s.task.value.entry
        }
        let previous = slots[key]?.task
        let clock = self.clock
        let task = Task { () -> Answer in
            guard let revalidation else {
                let at = clock()
                let entry = try await make()
                await self.count(revalidated: false)
                return Answer(entry: entry, fingerprint: nil, computed: at)
            }
            let at = clock()
            let fingerprint = try await revalidation.fingerprint()
            if let previous, let old = try? await previous.value, old.fingerprint == fingerprint,
               at.timeIntervalSince(old.computed) < revalidation.maxAge {
                await self.count(revalidated: true)
                return old
            }
            let entry = try await make()
            await self.count(revalidated: false)
            return Answer(entry: entry, fingerprint: fingerprint, computed: at)
        }
        slots[key] = Slot(checked: now, ttl: ttl ?? self.ttl, task: task)
        if slots.count > capacity { evictOldest() }
        do {
            return try await task.value.entry
        } catch {
            if let s = slots[key], s.checked == now { slots[key] = nil }
            throw error
        }
    }

    /// Keys held now (for tests of the bound).
    public var count: Int { slots.count }

    private func count(revalidated: Bool) {
        if revalidated { revalidations += 1 } else { computations += 1 }
    }

    private func evictOldest() {
        let excess = slots.count - capacity
        guard excess > 0 else { return }
        for (key, _) in slots.sorted(by: { $0.value.checked < $1.value.checked }).prefix(excess) { slots[key] = nil }
    }
}
