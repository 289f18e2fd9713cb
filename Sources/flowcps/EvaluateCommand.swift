import ArgumentParser
import Foundation
import Imaging
import Model
import Sampling
import Scenes
import Training

extension FlowCPS {
    /// `flowcps evaluate`: per-category accuracy of a checkpoint on a prompt set.
    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluate a checkpoint on a prompt set: deterministic sampling, geneval/ocr scores per category.",
            discussion: "Example: flowcps evaluate --model models/shapes-base.safetensors --prompts pipelines/prompts/geneval-eval.txt"
        )

        @OptionGroup var modelRun: ModelRunOptions
        @Option(help: "Prompt-set file (category<TAB>prompt per line).")
        var prompts = "pipelines/prompts/geneval-eval.txt"
        @Option(help: "Use only every k-th line (quick checks).")
        var every = 1
        @Option(help: "Images per line.")
        var samples = 1
        @OptionGroup var samplerOptions: SamplerOptions
        @Option(help: "Also write a grid of the first 8 images of each category to this PNG.")
        var imageGrid: String?
        @Flag(help: "Print JSON.")
        var json = false

        func validate() throws {
            if every < 1 { throw ValidationError("--every must be at least 1") }
            if !(1...64).contains(samples) { throw ValidationError("--samples must be in 1…64") }
        }

        func run() throws {
            let config = try samplerOptions.config()
            let entries = try PromptSets.load(path: prompts).enumerated().filter { $0.offset % every == 0 }.map(\.element)
            let (m, step, _) = try Checkpoint.load(path: modelRun.model, threads: modelRun.threads)
            let report = try Evaluation.run(model: m, entries: entries, config: config,
                                            guidance: samplerOptions.guidance, seed: modelRun.seed, samplesPerLine: samples)
            let order = PromptCategory.allCases.filter { report.categories[$0] != nil }
            if json {
                var cats: [String: Any] = [:]
                for c in order { cats[c.rawValue] = EvaluationTable.json(report.categories[c]!) }
                let object: [String: Any] = ["model": modelRun.model, "step": step, "categories": cats,
                                             "overall_strict": report.overallStrict,
                                             "overall_strict_se": report.overallStrictStandardError,
                                             "overall_accuracy": report.overallAccuracy, "noise": report.meanNoise]
                print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            } else {
                print("\(modelRun.model) (step \(step)), \(config.kind) \(config.grid.steps) steps, guidance \(samplerOptions.guidance), \(report.images.count) images")
                EvaluationTable.print(report)
            }
            if let grid = imageGrid {
                var rows: [GridRow] = []
                for c in order {
                    let picks = zip(report.images, report.entries).filter { $0.1.category == c }.prefix(8)
                    rows.append(GridRow(caption: "\(c.rawValue): " + picks.map(\.1.prompt).prefix(2).joined(separator: " / ") + " ...",
                                        images: picks.map(\.0)))
                }
                try OutputPath.prepare(grid)
                try PNGCodec.write(ImageGrid.render(rows), to: grid)
                if json {
                    FileHandle.standardError.write(Data("wrote \(grid)\n".utf8))
                } else {
                    print("wrote \(grid)")
                }
            }
        }
    }
}
