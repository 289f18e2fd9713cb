import Foundation
import Synchronization
import Testing
@testable import Dashboard

/// The dashboard's pieces that need no database: escaping, addresses, the token and the shared-answer cache.
struct DashboardUnitTests {
    @Test func htmlEscapingCoversMarkupAndBothQuotes() {
        #expect(HTMLText.escape("<a href=\"x\" title='y'>&amp;</a> ü") ==
                "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt; ü")
        #expect(HTMLText.escape("plain text 1.0") == "plain text 1.0")
    }

    @Test func aPathSegmentKeepsItsCharactersInOneSegment() {
        #expect(DashboardPath.segment("run-1.a_b~") == "run-1.a_b~")
        #expect(DashboardPath.segment("a b/c?d#e%") == "a%20b%2Fc%3Fd%23e%25")
        #expect(DashboardPath.segment("é") == "%C3%A9")
        #expect(DashboardPath.segment("<x>").removingPercentEncoding == "<x>")
    }

    @Test func theTokenIsLongAndMatchedExactly() throws {
        #expect(ActionToken("short") == nil)
        let t = try #require(ActionToken("0123456789abcdef"))
        #expect(t.accepts(authorization: "Bearer 0123456789abcdef"))
        for wrong in [nil, "", "0123456789abcdef", "Bearer 0123456789abcde", "Bearer 0123456789abcdefg", "bearer 0123456789abcdef",
                      "Bearer 0123456789abcdeF"] {
            #expect(!t.accepts(authorization: wrong), "\(wrong ?? "nil")")
        }
    }

    @Test func oneComputationServesConcurrentAskers() async throws {
        let cache = ResponseCache(ttl: 60, capacity: 8)
        let calls = Counter()
        try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await cache.value("k") {
                        await calls.increment()
                        try await Task.sleep(for: .milliseconds(50))
                        return ResponseCache.Entry(body: [1, 2, 3], contentType: "x")
                    }.body
                }
            }
            for try await body in group { #expect(body == [1, 2, 3]) }
        }
        #expect(await calls.value == 1)
    }

    @Test func theCacheKeepsAtMostItsCapacityAndExpires() async throws {
        let clock = ManualClock()
        let cache = ResponseCache(ttl: 0.05, capacity: 3, clock: clock.now)
        // A millisecond apart, so the oldest keys are the first ones asked for.
        for k in 0..<20 {
            clock.advance(0.001)
            _ = try await cache.value("k\(k)") { ResponseCache.Entry(body: [UInt8(k)], contentType: "x") }
        }
        #expect(await cache.count == 3)
        // A fresh key's answer is recomputed after the ttl, and a failure is not kept.
        #expect(try await cache.value("k19") { ResponseCache.Entry(body: [0], contentType: "x") }.body == [19])
        clock.advance(0.08)
        #expect(try await cache.value("k19") { ResponseCache.Entry(body: [0], contentType: "x") }.body == [0])
        struct Boom: Error {}
        await #expect(throws: Boom.self) { try await cache.value("bad") { throw Boom() } }
        #expect(try await cache.value("bad") { ResponseCache.Entry(body: [9], contentType: "x") }.body == [9])
    }

    @Test func anUnchangedFingerprintKeepsTheAnswerUntilItsMaxAge() async throws {
        let clock = ManualClock()
        let cache = ResponseCache(ttl: 0, capacity: 8, clock: clock.now)
        let state = Counter()
        let fingerprint = Counter()
        let revalidation = ResponseCache.Revalidation(maxAge: 0.3) { "v\(await fingerprint.value)" }
        func ask() async throws -> [UInt8] {
            try await cache.value("run", revalidation: revalidation) {
                ResponseCache.Entry(body: [UInt8(await state.next())], contentType: "x")
            }.body
        }
        #expect(try await ask() == [1])
        // Expired (ttl 0) but the fingerprint is unchanged: the same answer, not computed again.
        #expect(try await ask() == [1])
        #expect(try await ask() == [1])
        #expect(await cache.computations == 1)
        #expect(await cache.revalidations == 2)
        // The fingerprint changes: computed again.
        _ = await fingerprint.next()
        #expect(try await ask() == [2])
        // Unchanged but older than maxAge: computed again.
        clock.advance(0.35)
        #expect(try await ask() == [3])
        #expect(await cache.computations == 3)
    }

    @Test func theEntityTagFollowsTheBody() {
        let a = ResponseCache.Entry(body: Array("{\"a\":1}".utf8), contentType: "x")
        let b = ResponseCache.Entry(body: Array("{\"a\":2}".utf8), contentType: "x")
        #expect(a.etag == ResponseCache.Entry(body: Array("{\"a\":1}".utf8), contentType: "y").etag)
        #expect(a.etag != b.etag && a.etag.hasPrefix("\"") && a.etag.hasSuffix("\""))
    }

    @Test func theScriptBuildsTheDOMFromTextOnly() {
        // Data reaches pages only as text nodes: no innerHTML, outerHTML, insertAdjacentHTML, document.write or eval.
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
            #expect(!DashboardScript.source.contains(sink), "\(sink)")
        }
    }

    @Test func prometheusNumbersAndLabels() {
        #expect(PrometheusText.number(3) == "3" && PrometheusText.number(0.25) == "0.25" && PrometheusText.number(.infinity) == "+Inf")
        #expect(PrometheusText.labelValue("a\"b\\c\nd") == "a\\\"b\\\\c\\nd")
    }
}

/// A clock that moves only when the test moves it, so expiry tests do not depend on how loaded the machine is.
final class ManualClock: Sendable {
    private let seconds = Mutex<TimeInterval>(0)
    /// The current time (a fixed origin plus the seconds advanced).
    var now: @Sendable () -> Date { { [self] in Date(timeIntervalSinceReferenceDate: seconds.withLock { $0 }) } }
    func advance(_ by: TimeInterval) { seconds.withLock { $0 += by } }
}

actor Counter {
    var value = 0
    func increment() { value += 1 }
    /// Increments and returns the new value.
    func next() -> Int {
        value += 1
        return value
    }
}
