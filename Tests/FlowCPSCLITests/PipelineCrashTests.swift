import Foundation
import Store
import Testing

/// ISSUE 7's crash-safety check: pipelines/smoke.yaml run by three worker processes while the test SIGKILLs
/// workers in every stage (and restarts PostgreSQL once) ends with the same checkpoints and results as an
/// undisturbed run, without duplicate rows or jobs left running.
@Suite(.serialized)
struct PipelineCrashTests {
    @Test func killedWorkersAndADatabaseRestartChangeNothing() throws {
        let cluster = try PipelineCluster()
        #expect(try cluster.flowcps(["run", "submit", "pipelines/smoke.yaml", "--name", "calm"]).status == 0)
        let calm = try cluster.flowcps(["worker", "--exit-when-idle"])
        #expect(calm.status == 0, "\(calm.stderr)")
        #expect(try cluster.runState("calm") == "completed")

        #expect(try cluster.flowcps(["run", "submit", "pipelines/smoke.yaml", "--name", "chaos"]).status == 0)
        let workerArguments = ["--lease", "3", "--poll", "0.2", "--reap-every", "0.5", "--retry-base", "0.1",
                               "--debug-stage-delay", "0.4"]
        var workers = try (0..<3).map { _ in try cluster.startWorker(workerArguments) }
        var kills = 0, restartedDatabase = false
        var killedIn = Set<String>()
        var rng = SystemRandomNumberGenerator()
        let deadline = Date().addingTimeInterval(480)
        while try cluster.runState("chaos") != "completed" && Date() < deadline {
            Thread.sleep(forTimeInterval: Double.random(in: 0.05...0.3, using: &rng))
            if kills >= 6 && !restartedDatabase {
                try cluster.server.stop()
                Thread.sleep(forTimeInterval: 1)
                try cluster.server.start()
                restartedDatabase = true
                continue
            }
            let running = try cluster.connect().execute("""
                SELECT j.stage, j.attempt, j.lease_owner FROM jobs j JOIN runs r ON r.id = j.run_id
                WHERE r.name = 'chaos' AND j.state = 'running'
                """).rows
            let wantMore = kills < 12 || killedIn.count < 6
            guard wantMore, let target = try running.first(where: {
                try $0.int("attempt") < 3 && (!killedIn.contains(try $0.string("stage")) || killedIn.count == 6)
            }) else { continue }
            let owner = try target.string("lease_owner").split(separator: ":")
            guard owner.count >= 2, let pid = Int32(owner[1]), let slot = workers.firstIndex(where: { $0.processIdentifier == pid })
            else { continue }
            kill(pid, SIGKILL)
            workers[slot].waitUntilExit()
            kills += 1
            killedIn.insert(try target.string("stage"))
            workers[slot] = try cluster.startWorker(workerArguments)
        }
        print("crash test: \(kills) worker kills (stages \(killedIn.sorted().joined(separator: ", "))), database restarted: \(restartedDatabase)")
        for w in workers where w.isRunning { w.terminate() }
        for w in workers { w.waitUntilExit() }

        #expect(try cluster.runState("chaos") == "completed")
        #expect(kills >= 10, "kills: \(kills)")
        #expect(killedIn == ["plan", "rollout", "score", "advantage", "train", "eval"], "\(killedIn)")
        #expect(restartedDatabase)
        for kind in ["policy", "state"] {
            let a = try cluster.checkpointHash(run: "calm", step: 3, kind: kind)
            let b = try cluster.checkpointHash(run: "chaos", step: 3, kind: kind)
            #expect(a != nil && a == b, "\(kind)")
        }
        let c = try cluster.connect()
        func rows(_ run: String, _ query: String) throws -> [String] {
            try c.execute(SQL(unsafeSQL: query.replacingOccurrences(of: "RUN", with: "(SELECT id FROM runs WHERE name = $1)"),
                              binds: [.text(run)])).rows.map { $0.values.map { "\($0)" }.joined(separator: "|") }
        }
        let results = [
            "SELECT step, prompt_index, sample_index, reward, advantage, md5(png) FROM samples WHERE run_id = RUN ORDER BY 1, 2, 3",
            "SELECT step, prompt_index, sample_index, name, value FROM rewards WHERE run_id = RUN ORDER BY 1, 2, 3, 4",
            "SELECT step, name, value FROM metrics WHERE run_id = RUN AND name NOT LIKE 'seconds.%' ORDER BY 1, 2",
            "SELECT step, line, strict, md5(png) FROM eval_samples WHERE run_id = RUN ORDER BY 1, 2",
        ]
        for q in results {
            let calmRows = try rows("calm", q), chaosRows = try rows("chaos", q)
            #expect(!calmRows.isEmpty && calmRows == chaosRows, "\(q)")
        }
        #expect(try rows("chaos", "SELECT count(*) FROM samples WHERE run_id = RUN") == ["int(24)"])
        #expect(try rows("chaos", "SELECT count(*) FROM jobs WHERE run_id = RUN AND state <> 'completed'") == ["int(0)"])
        #expect(try rows("chaos", "SELECT count(*) FROM trajectories WHERE run_id = RUN") == ["int(0)"])
    }
}
