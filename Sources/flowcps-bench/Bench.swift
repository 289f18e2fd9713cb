import ArgumentParser
import Foundation
import Imaging
import NumericCore
import Rewards
import Scenes

/// `flowcps-bench`: benchmarks and measured checks. Speed targets are checked here, never in timed unit tests.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flowcps-bench",
        abstract: "FlowCPS benchmarks (run from the repository root; see ops/bench/).",
        subcommands: [RewardSpeed.self, RewardAccuracy.self, ModelSpeed.self, ConvSpeed.self, SgemmPeak.self, RLStep.self, QueueSpeed.self, FuzzParsers.self, Chaos.self]
    )

    static func main() {
        BLASKernelSelection.selectKernels()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// Wall-clock seconds of `body`.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

extension Bench {
    /// Images per second per reward on one core.
    struct RewardSpeed: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rewards",
            abstract: "Images scored per second on one core, per reward, on ground-truth 32×32 renderings."
        )

        @Option(help: "Images per reward (rendered from the eval prompt sets).")
        var images = 4000

        @Option(help: "Timed repetitions; the best is reported.")
        var repeats = 3

        func run() throws {
            BLAS.threads = 1
            let geneval = try PromptSets.load(path: "pipelines/prompts/geneval-eval.txt")
            let ocr = try PromptSets.load(path: "pipelines/prompts/ocr-eval.txt")
            func inputs(_ entries: [PromptEntry]) throws -> [RewardInput] {
                try (0..<images).map { i in
                    let e = entries[i % entries.count]
                    return try RewardInput(image: GroundTruth.render(prompt: e.prompt, seed: 1, sample: i), prompt: e.prompt)
                }
            }
            let objectInputs = try inputs(geneval), textInputs = try inputs(ocr)
            print("reward           images/s (1 core, best of \(repeats))   µs/image")
            for reward in RewardRegistry.all {
                let set = reward.name == "ocr" ? textInputs : objectInputs
                var best = Double.infinity
                for _ in 0..<repeats {
                    best = min(best, try seconds { for input in set { _ = try reward.score(input) } })
                }
                let rate = Double(set.count) / best
                print(reward.name.padding(toLength: 16, withPad: " ", startingAt: 0) + String(format: " %10.0f %28.1f", rate, 1e6 / rate))
            }
        }
    }

    /// The acceptance table of the rewards: strict accuracy on ground truth, noise, blur and wrong scenes.
    struct RewardAccuracy: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reward-check",
            abstract: "Strict accuracy of geneval and ocr on eval-set renderings: clean, noise 0.05, blur σ=1, wrong scene."
        )

        @Option(help: "Seeds per eval line.")
        var seeds = 3

        @Option(help: "Image side (multiple of 32).")
        var size = 32

        @Option(help: "Write images the reward got wrong (not wrong-scene ones) to this folder, with a list.")
        var misses: String?

        func run() throws {
            let sets: [(String, any Reward)] = [("pipelines/prompts/geneval-eval.txt", GenEvalReward()),
                                                ("pipelines/prompts/ocr-eval.txt", OCRReward())]
            let seedList = (0..<seeds).map { UInt64(100 + $0) }
            print("reward   images  " + RewardCheck.Condition.allCases.map { $0.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined())
            for (path, reward) in sets {
                let entries = try PromptSets.load(path: path)
                var row = "\(reward.name.padding(toLength: 8, withPad: " ", startingAt: 0)) \(String(entries.count * seeds).padding(toLength: 7, withPad: " ", startingAt: 0)) "
                for condition in RewardCheck.Condition.allCases {
                var count = 0
                    let acc = try RewardCheck.strictAccuracy(reward: reward, entries: entries, seeds: seedList,
                                                             condition: condition, size: size) { prompt, seed, image in
                        guard let misses else { return }
                        count += 1
                        let file = "\(misses)/\(reward.name)-\(condition.rawValue)-\(count).png"
                        try? FileManager.default.createDirectory(atPath: misses, withIntermediateDirectories: true)
                        try? PNGCodec.write(image, to: file)
                        print("miss: \(file)  seed \(seed)  \(prompt)")
                    }
                    row += String(format: "%-12.4f", acc)
                }
                print(row)
            }
        }
    }
}
