import Foundation
import Logging
import Model
@testable import Pipeline
import Store
import PipelineTestSupport
import StoreTestSupport
import Testing
import Training

/// The worker and the job adapters in this process against the test database (no subprocess): each job kind from
/// claim to commit with the rows it must leave, a lost lease, a paused run, and a failure that pauses the run.
@Suite(.enabled(if: TestDatabase.available))
struct WorkerJobTests {
    /// A run of one step on a tiny 32 px model: 2 prompts × 2 samples in 2 rollout shards, 3-step CPS, evaluated at
    /// 0 and 1 on 2 prompts.
    static func tinyRun(_ dir: String, name: String = "tiny") throws -> RunConfig {
        try TinyRun.config(dir, name: name)
    }

    static func worker(_ db: TestDatabase, owner: String = "test") -> Worker {
        var o = WorkerOptions()
        o.owner = owner
        o.retryBaseSeconds = 0.001
        o.leaseSeconds = 30
        return Worker(url: db.url, options: o, logger: Logger(label: "test"))
    }

    static func count(_ c: Connection, _ table: String) throws -> Int {
        try c.execute(SQL(unsafeSQL: "SELECT count(*) AS n FROM \(table)")).rows[0].int("n")
    }

    static func metricNames(_ c: Connection, step: Int) throws -> Set<String> {
        Set(try c.execute("SELECT name FROM metrics WHERE step = \(step)").rows.map { try $0.string("name") })
    }

    @Test func eachJobKindRunsFromClaimToCommitAndLeavesItsRows() throws {
        let db = try TestDatabase(), c = try db.connect()
        let dir = NSTemporaryDirectory() + "flowcps-jobs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try Runs(connection: c).submit(config: try Self.tinyRun(dir))
        let worker = Self.worker(db), queue = JobQueue(connection: c)
        var seen: [String] = []
        while let job = try queue.claim(owner: "test", leaseSeconds: 30).first {
            seen.append("\(job.stage) \(job.step).\(job.shard)")
            try worker.process(job, connection: c, clock: QueueClock())
            #expect(try c.execute("SELECT state FROM jobs WHERE id = \(job.id)").rows[0].string("state") == "completed")
            switch job.stage {
            case "plan":
                #expect(try c.execute("SELECT count(*) AS n FROM jobs WHERE stage = 'rollout' AND step = \(job.step)").rows[0].int("n") == 2)
            case "rollout":
                let rows = try c.execute("SELECT count(*) AS n FROM samples WHERE step = \(job.step) AND prompt_index = \(job.shard)").rows
                #expect(try rows[0].int("n") == 2)
            case "score":
                #expect(try c.execute("SELECT count(*) AS n FROM rewards WHERE step = \(job.step) AND prompt_index = \(job.shard)").rows[0].int("n") == 2)
            case "advantage":
                #expect(try c.execute("SELECT count(*) AS n FROM samples WHERE advantage IS NULL").rows[0].int("n") == 0)
                #expect(try Self.metricNames(c, step: 0).isSuperset(of: ["reward.mean", "reward.geneval", "advantage.zero_std_ratio"]))
            case "train":
                #expect(try Self.count(c, "trajectories") == 0)
                let kinds = try c.execute("SELECT kind FROM checkpoints WHERE step = 1 ORDER BY kind").rows.map { try $0.string("kind") }
                #expect(kinds == ["eval", "policy", "state"], "\(kinds)")
                #expect(try Self.metricNames(c, step: 0).isSuperset(of: ["train.loss", "train.first_ratio_max", "train.lr"]))
                #expect(try Runs(connection: c).find("tiny").version == 1)
            case "eval":
                let n = try c.execute("SELECT count(*) AS n FROM eval_samples WHERE step = \(job.step)").rows[0].int("n")
                #expect(n == 2)
                #expect(try Self.metricNames(c, step: job.step).isSuperset(of: ["eval.strict", "eval.strict_se", "eval.strict.counting"]))
            default:
                Issue.record("unexpected stage \(job.stage)")
            }
        }
        #expect(Set(seen).count == 9 && Set(seen.map { $0.split(separator: " ")[0] }) == ["plan", "rollout", "score", "advantage", "train", "eval"])
        #expect(try Runs(connection: c).find(run.name).state == .completed)
        #expect(worker.summary.completed == 9 && worker.summary.failed == 0)
    }

    @Test func aLostLeaseWritesNothingAndTheNewHolderWritesOnce() throws {
        let db = try TestDatabase(), c = try db.connect()
        let dir = NSTemporaryDirectory() + "flowcps-jobs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try Runs(connection: c).submit(config: try Self.tinyRun(dir))
        let a = Self.worker(db, owner: "a"), b = Self.worker(db, owner: "b"), queue = JobQueue(connection: c)
        // Run the plan, then let worker a claim the first rollout and lose it to the reaper.
        while let job = try queue.claim(owner: "a", stages: ["plan", "eval"], leaseSeconds: 30).first {
            try a.process(job, connection: c, clock: QueueClock())
        }
        let claimed = try queue.claim(owner: "a", stages: ["rollout"], limit: 2, leaseSeconds: 30)
        let held = try #require(claimed.first)
        #expect(claimed.count == 2)
        let done = a.summary.completed
        try c.execute("UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = \(held.id)")
        try a.reap(c)
        try c.execute("UPDATE jobs SET scheduled_at = now() WHERE id = \(held.id)")
        let retaken = try #require(try queue.claim(owner: "b", stages: ["rollout"], leaseSeconds: 30).first)
        #expect(retaken.id == held.id && retaken.attempt == held.attempt + 1)
        try a.process(held, connection: c, clock: QueueClock())
        #expect(a.summary.lostLeases == 1 && a.summary.completed == done)
        #expect(try c.execute("SELECT count(*) AS n FROM samples WHERE prompt_index = \(held.shard)").rows[0].int("n") == 0)
        try b.process(retaken, connection: c, clock: QueueClock())
        #expect(b.summary.completed == 1)
        #expect(try c.execute("SELECT count(*) AS n FROM samples WHERE prompt_index = \(held.shard)").rows[0].int("n") == 2)
        #expect(try c.execute("SELECT state FROM jobs WHERE id = \(held.id)").rows[0].string("state") == "completed")
    }

    @Test func aPausedRunHoldsItsJobsAndAPermanentFailurePausesIt() throws {
        let db = try TestDatabase(), c = try db.connect()
        let dir = NSTemporaryDirectory() + "flowcps-jobs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let runs = Runs(connection: c), queue = JobQueue(connection: c), worker = Self.worker(db)
        _ = try runs.submit(config: try Self.tinyRun(dir))
        try runs.pause("tiny")
        #expect(try queue.claim(owner: "test", leaseSeconds: 30).isEmpty)
        try runs.resume("tiny")
        let plan = try #require(try queue.claim(owner: "test", stages: ["plan"], leaseSeconds: 30).first)
        try worker.process(plan, connection: c, clock: QueueClock())
        // The step-0 policy vanishes: the rollout cannot run, and retrying cannot help.
        try c.execute("DELETE FROM checkpoints WHERE kind = 'policy' AND step = 0")
        let rollout = try #require(try queue.claim(owner: "test", stages: ["rollout"], leaseSeconds: 30).first)
        try worker.process(rollout, connection: c, clock: QueueClock())
        #expect(worker.summary.failed == 1)
        #expect(try c.execute("SELECT state FROM jobs WHERE id = \(rollout.id)").rows[0].string("state") == "failed")
        let after = try runs.find("tiny")
        #expect(after.state == .paused, "\(after.state)")
        #expect(try c.execute("SELECT reason FROM runs WHERE name = 'tiny'").rows[0].string("reason").contains("no policy checkpoint at step 0"))
        #expect(try queue.claim(owner: "test", leaseSeconds: 30).isEmpty)
    }
}
