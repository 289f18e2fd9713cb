import Foundation
import Store
import StoreTestSupport
import Testing

@Suite(.enabled(if: TestDatabase.available))
struct JobQueueTests {
    @Test func enqueueIsIdempotentByDedupeKey() throws {
        let db = try TestDatabase()
        let q = JobQueue(connection: try db.connect())
        let run = try db.insertRun(q.connection)
        let first = try q.enqueue(JobSpec(runID: run, stage: "plan", step: 0))
        #expect(first != nil)
        #expect(try q.enqueue(JobSpec(runID: run, stage: "plan", step: 0)) == nil)
        #expect(try q.counts(runID: run) == [.available: 1])
    }

    @Test func claimTakesTheHighestPriorityFirstAndOnlyTheStagesAsked() throws {
        let db = try TestDatabase()
        let q = JobQueue(connection: try db.connect())
        let run = try db.insertRun(q.connection)
        try q.enqueue(JobSpec(runID: run, stage: "rollout", step: 0, shard: 0, priority: 3))
        try q.enqueue(JobSpec(runID: run, stage: "train", step: 0, priority: 0))
        try q.enqueue(JobSpec(runID: run, stage: "rollout", step: 0, shard: 1, priority: 3))
        #expect(try q.claim(owner: "w", stages: ["score"], leaseSeconds: 60).isEmpty)
        let jobs = try q.claim(owner: "w", limit: 2, leaseSeconds: 60)
        #expect(jobs.map(\.stage) == ["train", "rollout"])
        #expect(jobs.allSatisfy { $0.attempt == 1 && $0.owner == "w" })
        #expect(try q.claim(owner: "w", stages: ["rollout"], leaseSeconds: 60).map(\.shard) == [1])
        #expect(try q.claim(owner: "w", leaseSeconds: 60).isEmpty)
    }

    @Test func twoWorkersNeverClaimTheSameJob() throws {
        let db = try TestDatabase()
        let setup = JobQueue(connection: try db.connect())
        let run = try db.insertRun(setup.connection)
        for i in 0..<200 { try setup.enqueue(JobSpec(runID: run, stage: "score", step: 0, shard: i)) }
        let claimed = UnsafeSendableBox<[[Int64]]>([[], []])
        DispatchQueue.concurrentPerform(iterations: 2) { w in
            let q = JobQueue(connection: try! db.connect())
            var mine: [Int64] = []
            while let job = try! q.claim(owner: "w\(w)", limit: 3, leaseSeconds: 60).first {
                mine.append(job.id)
            }
            claimed.lock.withLock { claimed.value[w] = mine }
        }
        // Claims of 3 take 3 rows each: count them from the table, and check no id was handed to both.
        let rows = try setup.connection.execute("SELECT lease_owner FROM jobs WHERE state = 'running'").rows
        #expect(rows.count == 200)
        #expect(Set(claimed.value[0]).isDisjoint(with: Set(claimed.value[1])))
    }

    @Test func aCompletionAfterTheLeaseWasLostIsRejectedAndWritesNothing() throws {
        let db = try TestDatabase()
        let q = JobQueue(connection: try db.connect())
        let run = try db.insertRun(q.connection)
        try q.enqueue(JobSpec(runID: run, stage: "score", step: 0))
        // Worker A claims with a lease that is already over; the reaper hands the job back; worker B claims it.
        let a = try #require(try q.claim(owner: "A", leaseSeconds: -1).first)
        let reaped = try q.reapExpired(retryBaseSeconds: 0)
        #expect(reaped.map(\.state) == [.available])
        Thread.sleep(forTimeInterval: 0.01)
        let b = try #require(try q.claim(owner: "B", leaseSeconds: 60).first)
        #expect(b.id == a.id && b.attempt == 2)
        // A's late completion: its outputs, its completion and its downstream enqueue all roll back.
        #expect(throws: LeaseLost.self) {
            try q.connection.transaction { c in
                try c.execute("INSERT INTO metrics (run_id, step, name, value) VALUES (\(run), 0, 'late', 1)")
                try JobQueue(connection: c).enqueue(JobSpec(runID: run, stage: "advantage", step: 0))
                try JobQueue(connection: c).complete(a)
            }
        }
        #expect(throws: LeaseLost.self) { try q.heartbeat(a, leaseSeconds: 60) }
        #expect(try q.connection.execute("SELECT count(*) AS n FROM metrics").rows[0].int("n") == 0)
        #expect(try q.counts(runID: run) == [.running: 1])
        // B's completion goes through.
        try q.connection.transaction { c in
            try c.execute("INSERT INTO metrics (run_id, step, name, value) VALUES (\(run), 0, 'b', 1)")
            try JobQueue(connection: c).complete(b)
        }
        #expect(try q.counts(runID: run) == [.completed: 1])
        #expect(throws: LeaseLost.self) { try q.complete(b) }
    }

    @Test func failuresBackOffThenFailForGood() throws {
        let db = try TestDatabase()
        let q = JobQueue(connection: try db.connect())
        let run = try db.insertRun(q.connection)
        try q.enqueue(JobSpec(runID: run, stage: "rollout", step: 0, maxAttempts: 2))
        let first = try #require(try q.claim(owner: "w", leaseSeconds: 60).first)
        let retried = try q.fail(first, error: "boom 1", retryBaseSeconds: 30)
        #expect(retried.state == .available)
        // Backed off by 30 s ± 10 %: not claimable now.
        #expect(try q.claim(owner: "w", leaseSeconds: 60).isEmpty)
        let wait = try q.connection.execute(
            "SELECT extract(epoch FROM scheduled_at - now())::float8 AS s FROM jobs").rows[0].double("s")
        #expect(wait > 26 && wait < 34)
        try q.connection.execute("UPDATE jobs SET scheduled_at = now()")
        let second = try #require(try q.claim(owner: "w", leaseSeconds: 60).first)
        #expect(try q.fail(second, error: "boom 2").state == .failed)
        let errors = try q.connection.execute("SELECT errors::text AS e, finalized_at IS NOT NULL AS done FROM jobs").rows[0]
        #expect(try errors.string("e").contains("boom 1") && errors.string("e").contains("boom 2"))
        #expect(try errors.bool("done"))
    }

    @Test func theReaperCountsACrashAsAnAttemptAndFailsTheLastOne() throws {
        let db = try TestDatabase()
        let q = JobQueue(connection: try db.connect())
        let run = try db.insertRun(q.connection)
        try q.enqueue(JobSpec(runID: run, stage: "train", step: 0, maxAttempts: 2))
        try q.enqueue(JobSpec(runID: run, stage: "train", step: 1, maxAttempts: 2))
        _ = try q.claim(owner: "dead", limit: 1, leaseSeconds: -1)
        _ = try q.claim(owner: "alive", limit: 1, leaseSeconds: 60)
        #expect(try q.reapExpired(retryBaseSeconds: 0).count == 1)
        Thread.sleep(forTimeInterval: 0.01)
        _ = try q.claim(owner: "dead", limit: 1, leaseSeconds: -1)
        let last = try q.reapExpired(retryBaseSeconds: 0)
        #expect(last.map(\.state) == [.failed] && last[0].attempt == 2)
        #expect(try q.counts(runID: run) == [.failed: 1, .running: 1])
    }

    @Test func releaseHandsAJobBackWithoutCountingTheAttempt() throws {
        let db = try TestDatabase()
        let q = JobQueue(connection: try db.connect())
        let run = try db.insertRun(q.connection)
        try q.enqueue(JobSpec(runID: run, stage: "eval", step: 0))
        let job = try #require(try q.claim(owner: "w", leaseSeconds: 60).first)
        #expect(try q.release(job))
        #expect(try q.release(job) == false)
        #expect(try q.claim(owner: "w2", leaseSeconds: 60).first?.attempt == 1)
    }

    @Test func theBarrierOpensOnTheLastArrivalExactlyOnce() throws {
        let db = try TestDatabase()
        let setup = JobQueue(connection: try db.connect())
        let run = try db.insertRun(setup.connection)
        try setup.createBarrier(runID: run, step: 0, stage: "score", expected: 20)
        try setup.createBarrier(runID: run, step: 0, stage: "score", expected: 20)
        let opened = UnsafeSendableBox(0)
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            let q = JobQueue(connection: try! db.connect())
            for _ in 0..<10 where try! q.arrive(runID: run, step: 0, stage: "score") {
                opened.lock.withLock { opened.value += 1 }
            }
        }
        #expect(opened.value == 1)
        #expect { try setup.arrive(runID: run, step: 0, stage: "score") } throws: { ($0 as? StoreError)?.sqlstate == "23514" }
    }
}
