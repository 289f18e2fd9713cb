import Foundation
import Imaging
import Logging
import Model
import Scenes
@testable import Pipeline
import Store
import StoreTestSupport
import Testing
import Training

/// External rewards (migration 0009, docs/external-rewards.md): a run mixing an internal and an external reward
/// completes with the Swift stages run in this process and the external jobs served through the SQL functions as
/// the `flowcps_reward_worker` role; the fan-in waits for the external scores; a completion after a lost lease is
/// rejected; malformed scores write nothing; and the role can reach nothing but the jobs it holds.
@Suite(.enabled(if: TestDatabase.available))
struct ExternalRewardTests {
    /// WorkerJobTests' tiny run with `align` (weight 0.5) scored outside.
    static func run(_ dir: String, name: String = "ext") throws -> RunConfig {
        var c = try WorkerJobTests.tinyRun(dir, name: name)
        c.rewards = [RewardWeight(name: "geneval", weight: 1), RewardWeight(name: "align", weight: 0.5, external: true)]
        return c
    }

    static func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "flowcps-ext-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A connection as the reward workers' role.
    static func rewardWorker(_ db: TestDatabase) throws -> Connection {
        try Connection(url: db.url + "&user=flowcps_reward_worker")
    }

    /// Runs every claimable Swift job.
    static func drainSwiftJobs(_ db: TestDatabase, _ c: Connection) throws -> [String] {
        let worker = WorkerJobTests.worker(db), queue = JobQueue(connection: c)
        var stages: [String] = []
        while let job = try queue.claim(owner: "swift", stages: PipelineStage.allCases.map(\.rawValue), leaseSeconds: 30).first {
            stages.append(job.stage)
            try worker.process(job, connection: c, clock: QueueClock())
        }
        return stages
    }

    struct Claim {
        let job: Int64
        let token: String
        let attempt: Int
        let samples: Int
    }

    static func claim(_ w: Connection, rewards: String = "{align}") throws -> Claim? {
        try w.execute("SELECT * FROM flowcps_reward_claim('py-1', \(rewards)::text[], 30)").rows.first.map { r in
            Claim(job: Int64(try r.int("job_id")), token: try r.string("token"), attempt: try r.int("attempt"),
                  samples: try r.int("samples"))
        }
    }

    /// The test's "reward model": the mean red channel of the image, in [0, 1] (computed here from the PNG bytes
    /// the function returns, as a worker would).
    static func score(_ png: [UInt8]) throws -> Double {
        let image = try PNGCodec.decode(png)
        var sum = 0.0
        for y in 0..<image.height { for x in 0..<image.width { sum += Double(image[x, y].r) } }
        return sum / Double(image.width * image.height) / 255
    }

    /// Scores and completes a held job; returns whether it was the step's last arrival.
    @discardableResult
    static func serve(_ w: Connection, _ claim: Claim) throws -> Bool {
        let rows = try w.execute("SELECT * FROM flowcps_reward_samples(\(claim.job), \(claim.token))").rows
        let p = try rows.map { String(try $0.int("prompt_index")) }, s = try rows.map { String(try $0.int("sample_index")) }
        let v = try rows.map { "\(try score(try $0.bytes("png")))" }
        return try w.execute("""
            SELECT flowcps_reward_complete(\(claim.job), \(claim.token), \("{" + p.joined(separator: ",") + "}")::integer[],
                \("{" + s.joined(separator: ",") + "}")::integer[], \("{" + v.joined(separator: ",") + "}")::float8[]) AS last
            """).rows[0].bool("last")
    }

    @Test func aRunMixingInternalAndExternalRewardsCompletesAndItsTotalsAreTheWeightedSums() throws {
        let db = try TestDatabase(), c = try db.connect(), w = try Self.rewardWorker(db)
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try Runs(connection: c).submit(config: try Self.run(dir))

        // Swift workers run everything they can; the step then waits on its external scores.
        let first = try Self.drainSwiftJobs(db, c)
        #expect(first.filter { $0 == "score" }.count == 2 && !first.contains("advantage"), "\(first)")
        #expect(try c.execute("SELECT count(*) AS n FROM jobs WHERE stage = 'reward' AND state = 'available'").rows[0].int("n") == 2)
        #expect(try c.execute("SELECT count(*) AS n FROM samples WHERE reward IS NOT NULL").rows[0].int("n") == 0)
        // The view and `run status` say what the run waits for once the wait is long.
        try c.execute("UPDATE jobs SET scheduled_at = now() - interval '200 seconds' WHERE stage = 'reward'")
        let waits = try ExternalRewardWait.read(c, runID: run.id)
        #expect(waits.count == 1 && waits[0].reward == "align" && waits[0].waiting == 2)
        #expect(waits.first?.message.hasPrefix("waiting for external reward align: no claim for 2") == true, "\(waits)")
        #expect(waits.first?.message.hasSuffix("(2 jobs)") == true)
        // A worker serving another reward claims nothing.
        #expect(try Self.claim(w, rewards: "{aesthetic}") == nil)

        let a = try #require(try Self.claim(w))
        #expect(a.samples == 2 && a.attempt == 1)
        #expect(try Self.serve(w, a) == false)
        let b = try #require(try Self.claim(w))
        #expect(try Self.serve(w, b) == true)
        // The SQL function enqueued the advantage job exactly as the Swift stage graph would.
        let spec = PipelineStage.advantage.job(run: run.id, step: 0, held: false)
        let adv = try c.execute("SELECT priority, max_attempts, dedupe_key, state, shard FROM jobs WHERE stage = 'advantage'").rows
        #expect(adv.count == 1)
        #expect(try adv[0].int("priority") == spec.priority && adv[0].int("max_attempts") == spec.maxAttempts
                && adv[0].string("dedupe_key") == spec.dedupeKey && adv[0].string("state") == "available"
                && adv[0].int("shard") == spec.shard)
        #expect(try Self.claim(w) == nil)
        #expect(try ExternalRewardWait.read(c, runID: run.id).isEmpty)

        let rest = try Self.drainSwiftJobs(db, c)
        #expect(rest.contains("advantage") && rest.contains("train"), "\(rest)")
        #expect(try Runs(connection: c).find(run.name).state == .completed)
        // One align row per sample, and each total is 1·geneval + 0.5·align, summed in that order.
        let rows = try c.execute("""
            SELECT s.reward, g.value AS g, a.value AS a FROM samples s
            JOIN rewards g ON (g.run_id, g.step, g.prompt_index, g.sample_index, g.name) = (s.run_id, s.step, s.prompt_index, s.sample_index, 'geneval')
            JOIN rewards a ON (a.run_id, a.step, a.prompt_index, a.sample_index, a.name) = (s.run_id, s.step, s.prompt_index, s.sample_index, 'align')
            """).rows
        #expect(rows.count == 4)
        for r in rows {
            let total = 0.0 + 1 * (try r.double("g")) + 0.5 * (try r.double("a"))
            #expect(try r.double("reward") == total)
        }
        // The reader role reads the external reward through the views.
        let reader = try Connection(url: db.url + "&user=flowcps_reader")
        let curve = try reader.execute("SELECT count(*) AS n FROM reward_curve WHERE run = 'ext' AND reward = 'align'").rows
        #expect(try curve[0].int("n") == 1)
        #expect(try c.execute("SELECT count(*) AS n FROM metrics WHERE name = 'reward.align'").rows[0].int("n") == 1)
    }

    @Test func aLateCompletionAfterALostLeaseIsRejectedAndMalformedScoresWriteNothing() throws {
        let db = try TestDatabase(), c = try db.connect(), w = try Self.rewardWorker(db)
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try Runs(connection: c).submit(config: try Self.run(dir))
        _ = try Self.drainSwiftJobs(db, c)

        let old = try #require(try Self.claim(w))
        // Malformed: too few values, a NaN, a sample twice. Each is FL002 and leaves the job held and unwritten.
        let samples = try w.execute("SELECT * FROM flowcps_reward_samples(\(old.job), \(old.token))").rows
        let p0 = try samples[0].int("prompt_index")
        for (ps, ss, vs) in [("{\(p0)}", "{0}", "{0.5}"), ("{\(p0),\(p0)}", "{0,1}", "{0.5,NaN}"),
                             ("{\(p0),\(p0)}", "{0,0}", "{0.5,0.25}")] {
            do {
                _ = try w.execute("SELECT flowcps_reward_complete(\(old.job), \(old.token), \(ps)::integer[], \(ss)::integer[], \(vs)::float8[])")
                Issue.record("malformed scores \(ps) \(ss) \(vs) were accepted")
            } catch let e as StoreError {
                #expect(e.sqlstate == "FL002", "\(e)")
            }
        }
        #expect(try c.execute("SELECT count(*) AS n FROM rewards WHERE name = 'align'").rows[0].int("n") == 0)

        // The worker stalls: its lease expires and the reaper hands the job on.
        try c.execute("UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = \(old.job)")
        #expect(try JobQueue(connection: c).reapExpired(retryBaseSeconds: 0).map(\.id) == [old.job])
        try c.execute("UPDATE jobs SET scheduled_at = now() - interval '1 hour' WHERE id = \(old.job)")  // first in line again
        for statement: SQL in ["SELECT flowcps_reward_heartbeat(\(old.job), \(old.token), 30)",
                               "SELECT * FROM flowcps_reward_samples(\(old.job), \(old.token))"] {
            do { _ = try w.execute(statement); Issue.record("a lost lease was honoured") } catch let e as StoreError {
                #expect(e.sqlstate == "FL001", "\(e)")
            }
        }
        let new = try #require(try Self.claim(w))
        #expect(new.job == old.job && new.attempt == 2 && new.token != old.token)
        // The old holder finishes late: rejected, nothing written; the new holder completes once.
        do { try Self.serve(w, old); Issue.record("a late completion was accepted") } catch let e as StoreError {
            #expect(e.sqlstate == "FL001", "\(e)")
        }
        #expect(try c.execute("SELECT count(*) AS n FROM rewards WHERE name = 'align'").rows[0].int("n") == 0)
        try Self.serve(w, new)
        #expect(try c.execute("SELECT count(*) AS n FROM rewards WHERE name = 'align'").rows[0].int("n") == 2)
        do { try Self.serve(w, new); Issue.record("a second completion was accepted") } catch let e as StoreError {
            #expect(e.sqlstate == "FL001", "\(e)")
        }
        // A failure with the queue's backoff, then a permanent one fails the job for good.
        let third = try #require(try Self.claim(w))
        let state = try w.execute("SELECT flowcps_reward_fail(\(third.job), \(third.token), 'model crashed', false) AS s").rows[0]
        #expect(try state.string("s") == "available")
        try c.execute("UPDATE jobs SET scheduled_at = now() WHERE id = \(third.job)")
        let fourth = try #require(try Self.claim(w))
        #expect(try w.execute("SELECT flowcps_reward_fail(\(fourth.job), \(fourth.token), 'bad prompt', true) AS s").rows[0].string("s") == "failed")
        let errors = try c.execute("SELECT errors::text AS e FROM jobs WHERE id = \(fourth.job)").rows[0].string("e")
        #expect(errors.contains("model crashed") && errors.contains("bad prompt"))
    }
}
