import Foundation
import Model
import Testing

/// `flowcps rl` end to end on a small model: run folder contents, refusing to overwrite, resuming, bad config.
struct RLCLITests {
    static let smallModel = """
    {"imageSize": 32, "imageChannels": 3, "channels": [4, 8], "blocksPerLevel": 1, "crossAttentionLevels": [1],
     "middleAttention": true, "attentionHeads": 2, "groups": 2, "textWidth": 8, "textHeads": 2, "textLayers": 1,
     "maxTokens": 12, "vocabularySize": 80, "timeFeatures": 8, "conditionWidth": 8}
    """

    @Test func aRunWritesItsFolderRefusesToOverwriteAndResumes() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.smallModel.write(toFile: dir + "/small.json", atomically: true, encoding: .utf8)
        let initModel = try CLI.run(["model", "init", "--config", dir + "/small.json", "--seed", "5", "--out", dir + "/base.safetensors"])
        #expect(initModel.status == 0, "\(initModel.stderr)")
        try "single_object\ta circle\ncolors\ta red square\ncounting\ttwo triangles\n"
            .write(toFile: dir + "/train.txt", atomically: true, encoding: .utf8)
        try "single_object\ta square\nposition\ta circle left of a square\n"
            .write(toFile: dir + "/eval.txt", atomically: true, encoding: .utf8)
        try """
        name: cli-test
        seed: 3
        steps: 2
        model: {base: \(dir)/base.safetensors, threads: 1}
        prompts: {train: \(dir)/train.txt, eval: \(dir)/eval.txt}
        sampler: {kind: cps, noise: 0.7, steps: 3}
        group: {size: 3, prompts_per_step: 2, prompts_per_shard: 1}
        rewards: {compressibility: 1, geneval: 0.5}
        train: {lr: 1e-3, mini_batches: 2}
        eval: {every: 1, steps: 4}
        checkpoint_every: 1
        """.write(toFile: dir + "/run.yaml", atomically: true, encoding: .utf8)
        let out = dir + "/run"
        let first = try CLI.run(["rl", dir + "/run.yaml", "--out", out])
        #expect(first.status == 0, "\(first.stdout) \(first.stderr)")
        #expect(first.stdout.contains("step 2/2") && first.stdout.contains("eval step 2"), "\(first.stdout)")
        for f in ["config.yaml", "metrics.csv", "eval.csv", "eval/step-0/0.png", "eval/step-2/1.png", "state.safetensors",
                  "policy.safetensors", "policy-1.safetensors", "policy-2.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: "\(out)/\(f)"), "\(f) missing")
        }
        func metrics() throws -> [(step: Int, name: String)] {
            try String(contentsOfFile: out + "/metrics.csv", encoding: .utf8).split(separator: "\n").dropFirst().map {
                let cells = $0.split(separator: ",")
                return (Int(cells[0])!, String(cells[1]))
            }
        }
        let names = Set(try metrics().filter { $0.step == 0 }.map(\.name))
        for name in ["reward.mean", "reward.std", "reward.p10", "reward.p90", "reward.compressibility", "reward.geneval",
                     "advantage.zero_std_ratio", "train.loss", "train.first_ratio_max", "train.lr", "seconds.rollout",
                     "eval.strict", "eval.strict_se", "eval.strict.position", "eval.accuracy.single_object"] {
            #expect(names.contains(name), "\(name) missing from \(names.sorted())")
        }
        let evals = try String(contentsOfFile: out + "/eval.csv", encoding: .utf8).split(separator: "\n")
        #expect(evals.count == 7 && evals.dropFirst().map { $0.prefix(2) } == ["0,", "0,", "1,", "1,", "2,", "2,"], "\(evals)")
        let report = try CLI.run(["report", out])
        #expect(report.status == 0 && report.stdout == "report: \(out)/report/index.html\n", "\(report.stderr)")
        let page = try String(contentsOfFile: out + "/report/index.html", encoding: .utf8)
        #expect(page.contains("Evaluation by category: before and after"))

        let again = try CLI.run(["rl", dir + "/run.yaml", "--out", out])
        #expect(again.status == 2 && again.stderr.contains("--resume"), "\(again.stderr)")

        // A crash after step 2's state but before its evaluation: the resumed run evaluates step 2 first.
        let kept = try String(contentsOfFile: out + "/metrics.csv", encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("2,eval.") }.joined(separator: "\n") + "\n"
        try kept.write(toFile: out + "/metrics.csv", atomically: true, encoding: .utf8)
        let more = try CLI.run(["rl", dir + "/run.yaml", "--out", out, "--resume", "--set", "steps=3"])
        #expect(more.status == 0 && more.stdout.contains("resumed") && more.stdout.contains("eval step 2")
                && more.stdout.contains("step 3/3"), "\(more.stdout) \(more.stderr)")
        let steps = try metrics().filter { $0.name == "reward.mean" }.map(\.step)
        #expect(steps == [0, 1, 2], "\(steps)")
        #expect(try metrics().filter { $0.name == "eval.strict" }.map(\.step) == [0, 1, 2, 3])
        #expect(try Checkpoint.load(path: out + "/policy.safetensors").step == 3)

        let changed = try CLI.run(["rl", dir + "/run.yaml", "--out", out, "--resume", "--set", "train.lr=2e-3",
                                   "--set", "steps=4"])
        #expect(changed.status == 2 && changed.stderr.contains("another configuration"), "\(changed.stderr)")

        let bad = try CLI.run(["rl", dir + "/run.yaml", "--out", dir + "/bad", "--set", "train.clip_range=2"])
        #expect(bad.status == 2 && bad.stderr.contains("train.clip_range"), "\(bad.stderr)")
        let missing = try CLI.run(["rl", dir + "/nope.yaml"])
        #expect(missing.status == 2 && missing.stderr.contains("nope.yaml"), "\(missing.stderr)")
    }
}
