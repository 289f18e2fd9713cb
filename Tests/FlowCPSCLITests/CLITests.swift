import Foundation
import Imaging
import Testing
import Scenes

struct CLITests {
    @Test func renderWritesTheGroundTruthPNG() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/nested/scene.png"
        let r = try CLI.run(["render", "--prompt", "two red circles", "--seed", "3", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let image = try PNGCodec.read(from: out)
        #expect(image == (try GroundTruth.render(prompt: "two red circles", seed: 3)))
        #expect(r.stdout.contains(out))
    }

    @Test func renderMakesAGridForSeveralPrompts() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try CLI.run(["render", "--prompt", "a circle", "--prompt", "the text \"42\"", "--samples", "3",
                             "--out", dir + "/grid.png"])
        #expect(r.status == 0, "\(r.stderr)")
        let grid = try PNGCodec.read(from: dir + "/grid.png")
        #expect(grid.width >= 3 * 32 * 4 && grid.height >= 2 * 32 * 4)
    }

    /// Bad input: status 2 and exactly one line on stderr naming the problem.
    private func expectBadInput(_ r: CLI.Result, mentioning needle: String) {
        #expect(r.status == 2, "status \(r.status), stderr: \(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(r.stderr)")
        #expect(r.stderr.contains(needle), "stderr: \(r.stderr)")
    }

    @Test func badPromptsExitWithStatusTwoAndOneLine() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/x.png"
        expectBadInput(try CLI.run(["render", "--prompt", "two foo circles", "--out", out]), mentioning: "unknown word \"foo\"")
        expectBadInput(try CLI.run(["render", "--prompt", "nine red circles", "--out", out]), mentioning: "at most 4")
        expectBadInput(try CLI.run(["render", "--prompt", "", "--out", out]), mentioning: "empty")
        expectBadInput(try CLI.run([], shell: "exec \"$0\" render --prompt \"$(printf 'a \\377 circle')\" --out \(out)"),
                       mentioning: "UTF-8")
        expectBadInput(try CLI.run(["prompts", "parse", "a circle and a circle"]), mentioning: "differ")
        #expect(!FileManager.default.fileExists(atPath: out), "nothing is written on bad input")
    }

    /// Numeric flags are checked before anything runs: NaN, infinities and out-of-range values are one line and
    /// status 2 (`--retry-base nan` used to reach the database as SQL text).
    @Test func nonFiniteAndOutOfRangeNumbersAreRefusedUpFront() throws {
        for (flag, value) in [("--retry-base", "nan"), ("--retry-base", "inf"), ("--lease", "nan"), ("--poll", "-1"),
                              ("--reap-every", "nan"), ("--lease", "1e300")] {
            expectBadInput(try CLI.run(["worker", flag, value], environment: ["FLOWCPS_DATABASE_URL": "postgresql:///nonexistent"]),
                           mentioning: flag)
        }
        for args in [["--lr", "nan"], ["--minutes", "nan"], ["--lr", "inf"]] {
            expectBadInput(try CLI.run(["pretrain", "--config", "tiny", "--out", "/nonexistent/x"] + args), mentioning: args[0])
        }
    }

    /// Every numeric option of every subcommand (found from `--help`: an option that refuses "abc" takes a
    /// number) refuses NaN and infinity with status 2 and a short message: never a crash, never a run.
    @Test func everyNumericOptionOfEveryCommandRefusesNaNAndInfinity() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let offline = ["FLOWCPS_DATABASE_URL": "postgresql:///nonexistent?host=/nonexistent"]
        var checked = 0
        for command in try CLI.commandPaths() {
            let help = try CLI.run(command + ["--help"]).stdout
            let options = Set(help.matches(of: /--([a-z0-9-]+) <[a-z0-9-]+>/).map { String($0.output.1) })
            for option in options.sorted() {
                // A numeric option refuses "abc" while parsing; any other may start the command: cut it short.
                let probe = try CLI.run(command + ["--\(option)", "abc"], cwd: dir, environment: offline, timeout: 5)
                guard probe.stderr.contains("invalid for") else { continue }  // not a number
                for value in ["nan", "inf", "-inf"] {
                    let r = try CLI.run(command + ["--\(option)", value], cwd: dir, environment: offline, timeout: 30)
                    #expect(r.status == 2, "\(command.joined(separator: " ")) --\(option) \(value): status \(r.status)")
                    #expect(r.stderr.split(separator: "\n").count <= 3, "\(command) --\(option) \(value): \(r.stderr)")
                    checked += 1
                }
            }
        }
        #expect(checked > 100, "only \(checked) numeric options found")
    }

    @Test func badPromptFilesExitWithStatusTwo() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("counting\tthree circles\ncolors\ta mauve circle\n".utf8).write(to: URL(fileURLWithPath: dir + "/bad.txt"))
        expectBadInput(try CLI.run(["prompts", "check", dir + "/bad.txt"]), mentioning: "bad.txt:2: unknown word \"mauve\"")
        try Data([0x61, 0x20, 0xC3, 0x28, 0x0A]).write(to: URL(fileURLWithPath: dir + "/binary.txt"))
        expectBadInput(try CLI.run(["prompts", "check", dir + "/binary.txt"]), mentioning: "not valid UTF-8")
        expectBadInput(try CLI.run(["prompts", "check", dir + "/missing.txt"]), mentioning: "cannot read")
    }

    @Test func usageErrorsExitWithStatusTwo() throws {
        let r = try CLI.run(["render", "--prompt", "a circle", "--out", "/tmp/x.png", "--samples", "0"])
        #expect(r.status == 2 && r.stderr.contains("--samples"))
        #expect(try CLI.run(["render", "--prompt", "a circle"]).status == 2) // --out missing
        #expect(try CLI.run(["no-such-command"]).status == 2)
    }

    /// Every command (all of them, found by walking `--help`) has an overview and a row in docs/cli.md, and
    /// docs/cli.md names no command that does not exist.
    @Test func everyCommandIsDocumented() throws {
        let root = try CLI.run(["--help"])
        #expect(root.status == 0)
        for group in ["PIPELINE SUBCOMMANDS:", "MODELS SUBCOMMANDS:"] { #expect(root.stdout.contains(group)) }
        let paths = try CLI.commandPaths()
        #expect(paths.count >= 30, "\(paths)")
        let doc = try String(contentsOfFile: PipelineCluster.repository + "/docs/cli.md", encoding: .utf8)
        for path in paths {
            let h = try CLI.run(path + ["--help"])
            let overview = h.stdout.split(separator: "\n").first ?? ""
            #expect(h.status == 0 && overview.hasPrefix("OVERVIEW: ") && overview.count > 20, "\(path) --help")
            #expect(doc.contains("`flowcps \(path.joined(separator: " "))"), "docs/cli.md has no row for \(path)")
        }
        let known = Set(paths.map { $0.joined(separator: " ") })
        for m in doc.matches(of: /^\| `flowcps ([a-z -]+?)(?: [A-Z\[-].*)?`/.anchorsMatchLineEndings()) {
            #expect(known.contains(String(m.output.1)), "docs/cli.md names \(m.output.1), which is not a command")
        }
    }

    @Test func anUnknownRunIsOneLine() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try CLI.run(["report", dir + "/nowhere"])
        #expect(r.status == 2 && r.stderr == "error: \(dir)/nowhere is not a run folder (it holds no metrics.csv)\n", "\(r.stderr)")
    }

    @Test func promptsGenerateWritesDisjointSets() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try CLI.run(["prompts", "generate", "--dir", dir, "--ocr-train", "50", "--ocr-eval", "10"])
        #expect(r.status == 0, "\(r.stderr)")
        let train = try PromptSets.load(path: dir + "/geneval-train.txt")
        let eval = try PromptSets.load(path: dir + "/geneval-eval.txt")
        #expect(Set(train.map(\.prompt)).isDisjoint(with: eval.map(\.prompt)))
        #expect(try PromptSets.load(path: dir + "/ocr-train.txt").count == 50)
        let check = try CLI.run(["prompts", "check", dir + "/geneval-eval.txt"])
        #expect(check.status == 0 && check.stdout.contains("single_object=64"))
    }
}
