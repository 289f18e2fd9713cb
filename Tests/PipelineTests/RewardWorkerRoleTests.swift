import Foundation
import Model
@testable import Pipeline
import Scenes
import Store
import StoreTestSupport
import Testing
import Training

/// The `flowcps_reward_worker` role (migration 0009) reaches nothing but the reward jobs it holds: no table or view,
/// no other job's images, no pipeline job, and bad arguments are refused with SQLSTATE 22023.
@Suite(.enabled(if: TestDatabase.available))
struct RewardWorkerRoleTests {
    @Test func theRewardWorkerRoleReachesOnlyTheJobsItHolds() throws {
        let db = try TestDatabase(), c = try db.connect(), w = try ExternalRewardTests.rewardWorker(db)
        let dir = try ExternalRewardTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try Runs(connection: c).submit(config: try ExternalRewardTests.run(dir))
        _ = try ExternalRewardTests.drainSwiftJobs(db, c)
        let held = try #require(try ExternalRewardTests.claim(w))

        // No table, view or helper is open to it: not checkpoints, samples or prompts, and no direct writes.
        for statement: SQL in ["SELECT count(*) FROM checkpoints", "SELECT count(*) FROM samples",
                               "SELECT count(*) FROM runs", "SELECT count(*) FROM jobs", "SELECT count(*) FROM rewards",
                               "SELECT count(*) FROM reward_curve", "SELECT count(*) FROM trajectories",
                               "INSERT INTO rewards VALUES (1, 0, 0, 0, 'align', 1)",
                               "UPDATE jobs SET state = 'completed'",
                               "SELECT * FROM flowcps_reward_held(\(held.job), \(held.token))"] {
            do { _ = try w.execute(statement); Issue.record("the reward worker role ran: \(statement)") } catch let e as StoreError {
                #expect(e.sqlstate == "42501", "\(e)")
            }
        }
        // Another job's images need that job's token: a guessed or reused token reaches nothing.
        let other = try c.execute("SELECT id FROM jobs WHERE stage = 'reward' AND state = 'available'").rows[0].int("id")
        for (job, token) in [(other, held.token), (Int(held.job), "not-a-token"), (Int(held.job), "")] {
            do {
                _ = try w.execute("SELECT * FROM flowcps_reward_samples(\(job), \(token))")
                Issue.record("job \(job) was read with a token that does not hold it")
            } catch let e as StoreError {
                #expect(e.sqlstate == "FL001", "\(e)")
            }
        }
        // Nor can it complete a train, score or plan job by id.
        let train = try c.execute("SELECT id FROM jobs WHERE stage <> 'reward' ORDER BY id LIMIT 1").rows[0].int("id")
        do {
            _ = try w.execute("SELECT flowcps_reward_complete(\(train), \(held.token), '{}'::integer[], '{}'::integer[], '{}'::float8[])")
            Issue.record("a pipeline job was completed through the reward function")
        } catch let e as StoreError {
            #expect(e.sqlstate == "FL001", "\(e)")
        }
        // Bad arguments are refused with a message, not a crash.
        for statement: SQL in ["SELECT * FROM flowcps_reward_claim('', '{align}', 30)",
                               "SELECT * FROM flowcps_reward_claim('a:b', '{align}', 30)",
                               "SELECT * FROM flowcps_reward_claim('w', '{align}', 1)"] {
            do { _ = try w.execute(statement); Issue.record("accepted: \(statement)") } catch let e as StoreError {
                #expect(e.sqlstate == "22023", "\(e)")
            }
        }
    }
}
