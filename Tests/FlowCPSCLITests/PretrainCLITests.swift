import Foundation
import Testing
import Model

/// Pre-training from the CLI on small configs of both architectures: SIGKILL mid-run and resume gives the same
/// weights as an uninterrupted run; sampling from the result writes a grid; --out is never overwritten silently.
struct PretrainCLITests {
    static let smallConfig = """
    {"imageSize": 16, "imageChannels": 3, "channels": [8, 16], "blocksPerLevel": 1, "crossAttentionLevels": [1],
     "middleAttention": true, "attentionHeads": 2, "groups": 4, "textWidth": 16, "textHeads": 2, "textLayers": 1,
     "maxTokens": 12, "vocabularySize": 80, "timeFeatures": 16, "conditionWidth": 16}
    """
    /// The same with the v2 features: two text layers, cross-attention at every level, the image position table.
    static let smallV2Config = """
    {"imageSize": 16, "imageChannels": 3, "channels": [8, 16], "blocksPerLevel": 1, "crossAttentionLevels": [0, 1],
     "middleAttention": true, "attentionHeads": 2, "groups": 4, "textWidth": 16, "textHeads": 2, "textLayers": 2,
     "maxTokens": 12, "vocabularySize": 80, "timeFeatures": 16, "conditionWidth": 16, "imagePositionEmbedding": true}
    """

    private func pretrainArgs(_ dir: String, _ name: String, v2: Bool) -> [String] {
        ["pretrain", "--config", dir + (v2 ? "/small-v2.json" : "/small.json"), "--steps", "40", "--batch", "4",
         "--warmup", "5", "--threads", "1", "--checkpoint-every", "5", "--seed", "3",
         "--state", "\(dir)/\(name).state.safetensors", "--out", "\(dir)/\(name).safetensors"] + (v2 ? ["--mix", "v2"] : [])
    }

    /// A long run in the background writes to a log file: its first line is there at once, not when the process
    /// exits (stdout to a file is line-buffered).
    @Test func aBackgroundRunsLogShowsEachLineAsItComes() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.smallConfig.write(toFile: dir + "/small.json", atomically: true, encoding: .utf8)
        let logPath = dir + "/pretrain.log"
        #expect(FileManager.default.createFile(atPath: logPath, contents: nil))
        let log = try #require(FileHandle(forWritingAtPath: logPath))
        defer { try? log.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["pretrain", "--config", dir + "/small.json", "--steps", "1000000", "--batch", "2",
                             "--threads", "1", "--state", "\(dir)/s.safetensors", "--out", "\(dir)/m.safetensors"]
        process.standardOutput = log
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
        let deadline = Date().addingTimeInterval(60)
        var text = ""
        while Date() < deadline && process.isRunning {
            text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if text.contains("for 1000000 steps") { break }
            usleep(50_000)
        }
        #expect(process.isRunning, "the run stopped early: \(text)")
        #expect(text.contains("for 1000000 steps of 2 images"), "the log is still empty while the run goes on: \(text)")
    }

    @Test(arguments: [false, true])
    func killedPretrainingResumesToTheSameWeights(v2: Bool) throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.smallConfig.write(toFile: dir + "/small.json", atomically: true, encoding: .utf8)
        try Self.smallV2Config.write(toFile: dir + "/small-v2.json", atomically: true, encoding: .utf8)
        func pretrainArgs(_ dir: String, _ name: String) -> [String] { self.pretrainArgs(dir, name, v2: v2) }
        let straight = try CLI.run(pretrainArgs(dir, "a"))
        #expect(straight.status == 0, "\(straight.stderr)")

        // Start the same run, SIGKILL it once a few checkpoints exist, then rerun it.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = pretrainArgs(dir, "b")
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let log = "\(dir)/b.state.safetensors.loss.csv"
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let lines = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").count ?? 0
            if lines > 13 { break }
            usleep(20_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/b.safetensors"), "killed before finishing")
        let resumed = try CLI.run(pretrainArgs(dir, "b"))
        #expect(resumed.status == 0 && resumed.stdout.contains("resuming from"), "\(resumed.stdout) \(resumed.stderr)")

        let a = try Checkpoint.load(path: "\(dir)/a.safetensors"), b = try Checkpoint.load(path: "\(dir)/b.safetensors")
        #expect(a.step == 40 && b.step == 40)
        #expect(Array(a.model.parameters) == Array(b.model.parameters), "resumed run diverged")
        let rows = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 41, "one loss row per step after resuming (got \(rows.count - 1))")

        let sample = try CLI.run(["sample", "--model", "\(dir)/b.safetensors", "--prompt", "a red circle", "--n", "2",
                                  "--steps", "4", "--threads", "1", "--out", "\(dir)/grid.png"])
        #expect(sample.status == 0 && FileManager.default.fileExists(atPath: "\(dir)/grid.png"), "\(sample.stderr)")
        let bad = try CLI.run(["pretrain", "--config", "tiny", "--steps", "2", "--state", "\(dir)/x", "--out", "\(dir)/y"])
        #expect(bad.status == 2 && bad.stderr.contains("token ids"))

        // A finished model is never overwritten by a new run without --force (the shipped base model!).
        let before = FileManager.default.contents(atPath: "\(dir)/a.safetensors")
        var fresh = pretrainArgs(dir, "a")
        fresh[fresh.firstIndex(of: "--state")! + 1] = "\(dir)/other.state.safetensors"
        let refused = try CLI.run(fresh)
        #expect(refused.status == 2 && refused.stderr.contains("exists; pass --force"), "\(refused.stderr)")
        #expect(FileManager.default.contents(atPath: "\(dir)/a.safetensors") == before)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/other.state.safetensors"), "refused before training")
        let badMix = try CLI.run(pretrainArgs(dir, "c") + ["--mix", "position=x"])
        #expect(badMix.status == 2 && badMix.stderr.contains("--mix"), "\(badMix.stderr)")
    }

    /// The capacity probe end to end: fine-tune a small checkpoint on one category, resume after an interruption
    /// (--minutes), evaluate on the held-out lines of that category only.
    @Test func finetuneTrainsOnOneCategoryResumesAndEvaluatesIt() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The rewards score 32 px images.
        try Self.smallV2Config.replacingOccurrences(of: #""imageSize": 16"#, with: #""imageSize": 32"#)
            .write(toFile: dir + "/small-v2.json", atomically: true, encoding: .utf8)
        let base = try CLI.run(pretrainArgs(dir, "base", v2: true))
        #expect(base.status == 0, "\(base.stderr)")
        let args = ["finetune", "--model", "\(dir)/base.safetensors", "--category", "position", "--steps", "6",
                    "--batch", "2", "--warmup", "1", "--threads", "1", "--checkpoint-every", "2", "--eval-steps", "2",
                    "--out", "\(dir)/tuned.safetensors"]
        let first = try CLI.run(args + ["--minutes", "0.000001"])
        #expect(first.status == 0 && first.stdout.contains("time budget"), "\(first.stdout) \(first.stderr)")
        #expect(!first.stdout.contains("evaluation of"), "no evaluation before the last step")
        let second = try CLI.run(args)
        #expect(second.status == 0 && second.stdout.contains("resuming from"), "\(second.stdout) \(second.stderr)")
        #expect(second.stdout.contains("evaluation of \(dir)/tuned.safetensors"))
        let rows = second.stdout.split(separator: "\n").filter { $0.hasPrefix("position") || $0.hasPrefix("counting") }
        #expect(rows.count == 1 && rows[0].contains(" 64 "), "only the 64 held-out position lines: \(second.stdout)")
        let tuned = try Checkpoint.load(path: "\(dir)/tuned.safetensors")
        #expect(tuned.step == 6 && tuned.file.metadata["flowcps.finetune.from"] == "\(dir)/base.safetensors")

        let badCategory = try CLI.run(args + ["--category", "shapes"])
        #expect(badCategory.status == 2 && badCategory.stderr.contains("--category shapes"), "\(badCategory.stderr)")
    }

    @Test func pretrainingContinuesFromACheckpointWithNewOptions() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.smallV2Config.write(toFile: dir + "/small-v2.json", atomically: true, encoding: .utf8)
        let first = try CLI.run(["pretrain", "--config", dir + "/small-v2.json", "--steps", "6", "--batch", "4",
                                 "--warmup", "2", "--threads", "1", "--state", dir + "/a.state", "--out", dir + "/a.safetensors"])
        #expect(first.status == 0, "\(first.stderr)")
        func continued(_ location: String, out: String) throws -> CLI.Result {
            try CLI.run(["pretrain", "--from", dir + "/a.safetensors", "--t-location", location, "--steps", "4",
                         "--batch", "4", "--warmup", "2", "--threads", "1", "--state", dir + "/b.state", "--out", out])
        }
        let second = try continued("1.5", out: dir + "/b.safetensors")
        #expect(second.status == 0, "\(second.stderr)")
        let a = try Checkpoint.load(path: dir + "/a.safetensors"), b = try Checkpoint.load(path: dir + "/b.safetensors")
        #expect(b.model.config == a.model.config, "the checkpoint's config, not the default")
        #expect(Array(b.model.parameters) != Array(a.model.parameters), "it trained")
        // The start and the options belong to the state: other options do not resume it.
        let other = try continued("0.5", out: dir + "/c.safetensors")
        #expect(other.status != 0 && other.stderr.contains("other pretrain options"), "\(other.stderr)")
        let both = try CLI.run(["pretrain", "--from", dir + "/a.safetensors", "--config", "v2", "--out", dir + "/d.safetensors"])
        #expect(both.status == 2 && both.stderr.contains("--from takes the checkpoint's config"), "\(both.stderr)")
        let badLocation = try continued("9", out: dir + "/e.safetensors")
        #expect(badLocation.status == 2 && badLocation.stderr.contains("--t-location"), "\(badLocation.stderr)")
    }
}
