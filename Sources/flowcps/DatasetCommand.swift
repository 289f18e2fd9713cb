import ArgumentParser
import Foundation
import Imaging
import NumericCore
import Scenes

extension FlowCPS {
    /// `flowcps dataset`: ground-truth renderings of a prompt set as one PNG per image and an index, for training
    /// models outside FlowCPS (the learned reward of `ops/python/align_reward.py`).
    struct Dataset: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render a prompt set to a folder of PNGs with an index (for training reward models).",
            discussion: """
            Writes OUT/index.tsv (file, line, sample, category, prompt) and OUT/LINE-SAMPLE.png for every line of \
            the prompt file and sample. Each image gets Gaussian pixel noise with a std drawn uniformly from \
            [0, --noise] and a blur with a sigma drawn from [0, --blur], so a model trained on them also sees \
            imperfect images; all draws come from --seed.
            Example: flowcps dataset --prompts pipelines/prompts/geneval-train.txt --samples 16 --out data/train
            """
        )

        @Option(help: "Prompt file (category<TAB>prompt lines, # comments).")
        var prompts: String

        @Option(help: "Images (layouts) per prompt line (1…1024).")
        var samples: Int = 8

        @Option(help: "Seed of the layouts and perturbations.")
        var seed: UInt64 = 0

        @Option(help: "Largest Gaussian pixel noise std, in [0, 1] units.")
        var noise: Double = 0.08

        @Option(help: "Largest blur sigma in pixels.")
        var blur: Double = 0.8

        @Option(help: "Output folder (created; must not hold an index.tsv yet).")
        var out: String

        func validate() throws {
            if !(1...1024).contains(samples) { throw ValidationError("--samples must be in 1…1024, got \(samples)") }
            if !(noise >= 0 && noise <= 1) { throw ValidationError("--noise must be in 0…1, got \(noise)") }
            if !(blur >= 0 && blur <= 16) { throw ValidationError("--blur must be in 0…16, got \(blur)") }
        }

        func run() throws {
            let entries = try PromptSets.load(path: prompts)
            guard !entries.isEmpty else { throw InputError("\(prompts) holds no prompts") }
            let specs = try entries.map { try PromptParser.parse($0.prompt) }
            let index = out + "/index.tsv"
            guard !FileManager.default.fileExists(atPath: index) else {
                throw InputError("\(index) exists: choose an empty folder")
            }
            try OutputPath.prepare(index)
            var lines = ["file\tline\tsample\tcategory\tprompt"]
            let root = StreamKey(seed: seed, domain: "dataset")
            for (line, (entry, spec)) in zip(entries, specs).enumerated() {
                for sample in 0..<samples {
                    var stream = RandomStream(key: root.child(UInt64(line)).child(UInt64(sample)))
                    var image = SceneRenderer.render(try GroundTruth.layout(for: spec, seed: seed &+ UInt64(line), sample: sample),
                                                     size: 32)
                    let sigma = Double(stream.uniform()) * blur, std = Double(stream.uniform()) * noise
                    if sigma > 0.05 { image = ImagePerturbation.gaussianBlur(image, sigma: sigma) }
                    if std > 0 { image = ImagePerturbation.gaussianNoise(image, std: std, stream: &stream) }
                    let file = "\(line)-\(sample).png"
                    try PNGCodec.write(image, to: out + "/" + file)
                    lines.append("\(file)\t\(line)\t\(sample)\t\(entry.category.rawValue)\t\(entry.prompt)")
                }
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: index, atomically: true, encoding: .utf8)
            print("wrote \(entries.count * samples) images of \(entries.count) prompts to \(out) (index.tsv)")
        }
    }
}
