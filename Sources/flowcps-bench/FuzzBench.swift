import ArgumentParser
import Foundation
import Imaging
import Model
import NumericCore
import Pipeline
import Scenes
import Training

/// `flowcps-bench fuzz`: feeds each input parser mutated and generated inputs and counts how each answered. A parser
/// may accept an input or refuse it with its error; anything else (a trap, a hang, an unbounded allocation) is a
/// crash. Inputs are a pure function of (seed, parser, iteration), so a crash report names the exact replay command.
struct FuzzParsers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz",
        abstract: "Fuzz the input parsers (safetensors, run files, PNG, prompts); zero crashes expected.",
        discussion: "On a crash the process dies with a line naming the parser and iteration to replay with --from.")

    /// The parsers under test.
    enum Parser: String, CaseIterable, ExpressibleByArgument {
        case safetensors, yaml, png, prompt
    }

    @Option(help: "Parsers to fuzz, comma-separated (default: all).")
    var parsers = Parser.allCases.map(\.rawValue).joined(separator: ",")
    @Option(help: "Inputs per parser.")
    var count = 100_000
    @Option(help: "First iteration (to replay a reported crash with --count 1).")
    var from = 0
    @Option(help: "Seed of the mutations.")
    var seed: UInt64 = 1

    func validate() throws {
        guard count >= 1, count <= 100_000_000 else { throw ValidationError("--count must be in 1…100000000, got \(count)") }
        guard from >= 0 else { throw ValidationError("--from must be at least 0, got \(from)") }
        for p in parsers.split(separator: ",") where Parser(rawValue: String(p)) == nil {
            throw ValidationError("--parsers: unknown parser \"\(p)\" (safetensors, yaml, png, prompt)")
        }
    }

    func run() throws {
        // FLOWCPS_FUZZ_BACKTRACE=1 leaves crashes to Swift's own backtracer (to debug one found here).
        if ProcessInfo.processInfo.environment["FLOWCPS_FUZZ_BACKTRACE"] == nil { installCrashReporter() }
        let corpus = try FuzzCorpus.make()
        print("parser        inputs   accepted   refused   seconds")
        for name in parsers.split(separator: ",") {
            let parser = Parser(rawValue: String(name))!
            var accepted = 0, refused = 0
            let elapsed = try seconds {
                for i in from..<(from + count) {
                    FuzzState.current = (parser.rawValue, i, seed)
                    var rng = RandomStream(key: StreamKey(seed: seed, domain: "fuzz-\(parser.rawValue)").child(UInt64(i)))
                    let ok: Bool
                    switch parser {
                    case .safetensors: ok = FuzzTargets.safetensors(corpus.mutate(corpus.checkpoints, &rng, numbers: true))
                    case .yaml: ok = FuzzTargets.yaml(corpus.text(corpus.runFiles, &rng))
                    case .png: ok = FuzzTargets.png(corpus.mutate(corpus.images, &rng, numbers: false))
                    case .prompt: ok = FuzzTargets.prompt(corpus.text(corpus.prompts, &rng))
                    }
                    if ok { accepted += 1 } else { refused += 1 }
                }
            }
            print(parser.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                  + String(format: " %8d %10d %9d %9.1f", count, accepted, refused, elapsed))
        }
        print("crashes: 0")
    }
}

/// The iteration being run, for the crash report (read from a signal handler: plain stores, no locks).
enum FuzzState {
    nonisolated(unsafe) static var current: (parser: String, iteration: Int, seed: UInt64) = ("", 0, 0)
}

/// On a trap (SIGILL/SIGTRAP), bus error or segmentation fault: one line naming the replay, then the default action.
private func installCrashReporter() {
    for sig in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT] {
        signal(sig) { s in
            let c = FuzzState.current
            let line = "fuzz: CRASH (signal \(s)) in parser \(c.parser) at iteration \(c.iteration); replay: "
                + "flowcps-bench fuzz --parsers \(c.parser) --seed \(c.seed) --from \(c.iteration) --count 1\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
            signal(s, SIG_DFL)
            raise(s)
        }
    }
}

/// Each parser as a user meets it: parse, then whatever the CLI does next with the result. True when accepted.
enum FuzzTargets {
    static func safetensors(_ bytes: [UInt8]) -> Bool {
        do {
            let file = try SafetensorsFile.parse(bytes, name: "fuzz")
            let config = try Checkpoint.config(of: file, name: "fuzz")
            // Build the model only when it is small (a huge valid config is a legitimate, refused-later input).
            guard config.channels.allSatisfy({ $0 <= 256 }), config.textWidth <= 512, config.imageSize <= 64,
                  config.conditionWidth <= 1024, config.blocksPerLevel <= 4, config.textLayers <= 4 else { return true }
            _ = try Checkpoint.load(bytes: bytes, name: "fuzz")
            return true
        } catch { return false }
    }

    static func yaml(_ text: String) -> Bool {
        do {
            let config = try RunConfigFile.decode(yaml: text, overrides: [])
            _ = RunConfigFile.encode(config)
            _ = config.fingerprint
            return true
        } catch { return false }
    }

    static func png(_ bytes: [UInt8]) -> Bool {
        (try? PNGCodec.decode(bytes)) != nil
    }

    static func prompt(_ text: String) -> Bool {
        var ok = true
        do { _ = try PromptSets.parse(text, name: "fuzz") } catch { ok = false }
        for line in text.split(separator: "\n").prefix(4) {
            if (try? PromptParser.parse(String(line))) != nil { _ = try? Tokenizer.encode(String(line)) }
            _ = try? PromptParser.parse(utf8: Array(line.utf8))
        }
        return ok
    }
}

/// Valid inputs of each kind, and the mutations applied to them.
struct FuzzCorpus {
    var checkpoints: [[UInt8]] = []
    var images: [[UInt8]] = []
    var runFiles: [String] = []
    var prompts: [String] = []

    static func make() throws -> FuzzCorpus {
        var c = FuzzCorpus()
        let tiny = try FlowUNet(config: .tiny, seed: 1)
        c.checkpoints = [try Checkpoint.serialized(tiny, step: 3),
                         try Checkpoint.serialized(try FlowUNet(config: .tinyV2, seed: 2), step: 0)]
        c.images = try [(32, "a red circle"), (64, "the text \"AB\""), (3, "")].map { side, prompt in
            prompt.isEmpty ? try PNGCodec.encode(RGBImage(width: side, height: side + 1))
                : try PNGCodec.encode(try GroundTruth.render(prompt: prompt, seed: 1, sample: 0, size: side))
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: "pipelines")) ?? []
        c.runFiles = files.filter { $0.hasSuffix(".yaml") }.sorted()
            .compactMap { try? String(contentsOfFile: "pipelines/" + $0, encoding: .utf8) }
        c.runFiles += ["steps: 3\nrewards: {ocr: 1}\n", "a: &x [1, *x]\n", "train: {lr: .nan}\n", "", FuzzCorpus.aliasBomb]
        let sets = ["geneval-eval.txt", "ocr-eval.txt"].compactMap {
            try? String(contentsOfFile: "pipelines/prompts/" + $0, encoding: .utf8)
        }
        c.prompts = sets.map { String($0.split(separator: "\n").prefix(40).joined(separator: "\n")) }
            + ["a red circle left of a blue square", "counting\tthree green triangles", "the text \"OK\""]
        guard !c.runFiles.isEmpty, !c.prompts.isEmpty else {
            throw ValidationError("run fuzz from the repository root (pipelines/ not found)")
        }
        return c
    }

    /// "Billion laughs": nine levels of nine aliases each, 9⁹ strings if expanded.
    static let aliasBomb: String = {
        var lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
        for level in 1...9 {
            lines.append("l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 9).joined(separator: ", ") + "]")
        }
        return lines.joined(separator: "\n") + "\nsteps: 3\n"
    }()

    /// Boundary numbers that parsers meet in length, shape and offset fields.
    static let numbers = ["0", "-1", "1099511627776", "9223372036854775807", "-9223372036854775808",
                          "18446744073709551615", "1e308", "4294967296", "65", "100", "2147483648", "NaN", "3.5"]

    /// A seed input with 1–8 byte-level mutations (or, one time in 16, random bytes); with `numbers`, digits runs
    /// may be replaced by boundary numbers (safetensors headers are JSON).
    func mutate(_ seeds: [[UInt8]], _ rng: inout RandomStream, numbers: Bool) -> [UInt8] {
        if rng.int(below: 16) == 0 { return (0..<rng.int(below: 256)).map { _ in UInt8(rng.int(below: 256)) } }
        var b = seeds[rng.int(below: seeds.count)]
        for _ in 0..<(1 + rng.int(below: 8)) {
            guard !b.isEmpty else { b = [UInt8(rng.int(below: 256))]; continue }
            let at = rng.int(below: b.count)
            switch rng.int(below: numbers ? 7 : 6) {
            case 0: b[at] ^= UInt8(1 << rng.int(below: 8))
            case 1: b[at] = UInt8(rng.int(below: 256))
            case 2: b.insert(UInt8(rng.int(below: 256)), at: at)
            case 3: b.remove(at: at)
            case 4: b.removeSubrange(at..<b.count)  // truncation
            case 5:  // duplicate a chunk
                let n = min(1 + rng.int(below: 64), b.count - at)
                b.insert(contentsOf: b[at..<(at + n)], at: rng.int(below: b.count))
            default:  // a run of ASCII digits in the first 4 KiB replaced by a boundary number
                let limit = min(b.count, 4096)
                guard at < limit, let start = (at..<limit).first(where: { (48...57).contains(b[$0]) }) else { continue }
                var end = start
                while end < limit, (48...57).contains(b[end]) { end += 1 }
                let text = FuzzCorpus.numbers[rng.int(below: FuzzCorpus.numbers.count)]
                b.replaceSubrange(start..<end, with: Array(text.utf8))
                if numbers && start >= 8 { FuzzCorpus.fixHeaderLength(&b) }
            }
        }
        if !numbers && rng.int(below: 2) == 0 { FuzzCorpus.fixChunkChecksums(&b) }
        return b
    }

    /// Recomputes the CRC of every whole PNG chunk, so that half the mutations get past libpng's checksum test
    /// to the chunk contents (dimensions, compressed data).
    static func fixChunkChecksums(_ b: inout [UInt8]) {
        var at = 8
        while at + 12 <= b.count {
            let length = Int(b[at]) << 24 | Int(b[at + 1]) << 16 | Int(b[at + 2]) << 8 | Int(b[at + 3])
            guard length <= b.count - at - 12 else { return }
            var crc: UInt32 = 0xffff_ffff
            for byte in b[(at + 4)..<(at + 8 + length)] {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xedb8_8320 : crc >> 1 }
            }
            crc ^= 0xffff_ffff
            let end = at + 8 + length
            for i in 0..<4 { b[end + i] = UInt8((crc >> (24 - 8 * UInt32(i))) & 0xff) }
            at = end + 4
        }
    }

    /// After a change inside a safetensors header, the 8-byte length is rewritten half of the time to the JSON's new
    /// length, so mutations reach the fields rather than stopping at the length check.
    static func fixHeaderLength(_ b: inout [UInt8]) {
        guard b.count > 8, let end = b[8...].firstIndex(of: UInt8(ascii: "}")).map({ i -> Int in
            var depth = 0, j = 8
            while j < b.count {
                if b[j] == UInt8(ascii: "{") { depth += 1 }
                if b[j] == UInt8(ascii: "}") { depth -= 1; if depth == 0 { return j + 1 } }
                j += 1
            }
            return i + 1
        }) else { return }
        let n = UInt64(end - 8)
        for i in 0..<8 { b[i] = UInt8((n >> (8 * UInt64(i))) & 0xff) }
    }

    /// A seed text with line-level and character-level mutations, or generated text.
    func text(_ seeds: [String], _ rng: inout RandomStream) -> String {
        let pieces = ["\t", "\n", ": ", "- ", "{", "}", "[", "]", "&a ", "*a", "!!binary ", "\"", "'", "#", "\u{0}",
                      "é", "🙂", "\u{202E}", "-1", "1e999", ".inf", "null", "~", "<<: *a", "the text \"", "left of",
                      "three", "99999999999999999999", "steps", "lr", "size"]
        if rng.int(below: 16) == 0 {
            return (0..<rng.int(below: 40)).map { _ in pieces[rng.int(below: pieces.count)] }.joined()
        }
        var lines = seeds[rng.int(below: seeds.count)].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0..<(1 + rng.int(below: 6)) {
            guard !lines.isEmpty else { lines = [pieces[rng.int(below: pieces.count)]]; continue }
            let at = rng.int(below: lines.count)
            switch rng.int(below: 6) {
            case 0: lines.remove(at: at)
            case 1: lines.insert(lines[rng.int(below: lines.count)], at: at)
            case 2:
                var chars = Array(lines[at])
                let i = chars.isEmpty ? 0 : rng.int(below: chars.count + 1)
                chars.insert(contentsOf: pieces[rng.int(below: pieces.count)], at: i)
                lines[at] = String(chars)
            case 3:
                var chars = Array(lines[at])
                if !chars.isEmpty { chars.remove(at: rng.int(below: chars.count)) }
                lines[at] = String(chars)
            case 4: lines[at] = String(lines[at].prefix(rng.int(below: lines[at].count + 1)))
            default:
                let n = FuzzCorpus.numbers[rng.int(below: FuzzCorpus.numbers.count)]
                lines[at] = lines[at].replacingOccurrences(of: #"[0-9]+(\.[0-9]+)?(e-?[0-9]+)?"#, with: n,
                                                           options: .regularExpression)
            }
        }
        return lines.joined(separator: "\n")
    }
}
