import Foundation
import Model
@testable import Pipeline
import Scenes
import Store
import StoreTestSupport
import Testing
import Training

/// External rewards in run files: `name: {weight: W, external: true}` round-trips through the codec, bad names and
/// fields are errors naming the field, and `flowcps rl` (no reward workers in one process) refuses them.
struct ExternalRewardConfigTests {
    @Test func externalRewardsAreDeclaredInTheRunFileAndRefusedByTheInProcessLoop() throws {
        let yaml = """
            rewards:
              geneval: 1
              align: {weight: 0.5, external: true}
            """
        let c = try RunConfigFile.decode(yaml: yaml)
        #expect(c.rewards == [RewardWeight(name: "geneval", weight: 1), RewardWeight(name: "align", weight: 0.5, external: true)])
        #expect(try RunConfigFile.decode(yaml: RunConfigFile.encode(c)).rewards == c.rewards)
        for (bad, field) in [("rewards:\n  geneval: {weight: 1, external: true}\n", "rewards.geneval"),
                             ("rewards:\n  Align: {weight: 1, external: true}\n", "rewards.Align"),
                             ("rewards:\n  align: 1\n", "rewards.align"),
                             ("rewards:\n  align: {external: true}\n", "rewards.align.weight"),
                             ("rewards:\n  align: {weight: 1, external: true, url: x}\n", "rewards.align.url")] {
            do {
                try RunConfigFile.decode(yaml: bad).validate()
                Issue.record("accepted: \(bad)")
            } catch let e as ConfigError {
                #expect(e.field == field, "\(bad): \(e)")
            }
        }
        let dir = try ExternalRewardTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try ExternalRewardTests.run(dir)
        let base = try Checkpoint.load(path: config.model.base).model
        do {
            _ = try RLRun(config: config, base: base, trainSet: [PromptEntry(category: .singleObject, prompt: "a circle")],
                          evalSet: [])
            Issue.record("flowcps rl accepted an external reward")
        } catch let e as ConfigError {
            #expect(e.field == "rewards.align" && e.message.contains("run submit"), "\(e)")
        }
    }
}
