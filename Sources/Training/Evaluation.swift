import Imaging
import Model
import Rewards
import Sampling
import Scenes

/// Per-category results of scoring generated images.
public struct CategoryResult: Sendable, Equatable {
    public var images = 0
    public var strict = 0.0
    public var accuracy = 0.0
    public var score = 0.0
    /// Mean residual background noise of the images (`NoiseMetric`; 0 for clean images).
    public var noise = 0.0
}

/// An evaluation: deterministic sampling of every prompt line with fixed seeds, scored by the reward that fits the
/// prompt family (geneval for objects, ocr for text).
public struct EvaluationReport: Sendable {
    public var categories: [PromptCategory: CategoryResult] = [:]
    public var images: [RGBImage] = []
    public var entries: [PromptEntry] = []

    /// GenEval's overall score: the mean of the per-category strict accuracies.
    public var overallStrict: Double {
        let c = categories.values.filter { $0.images > 0 }
        return c.isEmpty ? 0 : c.map(\.strict).reduce(0, +) / Double(c.count)
    }

    /// Mean residual noise over all images.
    public var meanNoise: Double {
        let n = categories.values.map(\.images).reduce(0, +)
        return n == 0 ? 0 : categories.values.map { $0.noise * Double($0.images) }.reduce(0, +) / Double(n)
    }

    /// Mean of the per-category standard accuracies.
    public var overallAccuracy: Double {
        let c = categories.values.filter { $0.images > 0 }
        return c.isEmpty ? 0 : c.map(\.accuracy).reduce(0, +) / Double(c.count)
    }
}

/// One scored evaluation image.
public struct EvaluatedSample: Sendable {
    /// Index of the entry in the evaluated list (its seed key), and the sample number of that entry.
    public var index: Int
    public var sample: Int
    public var entry: PromptEntry
    public var image: RGBImage
    /// The category's reward (geneval or ocr): partial score, strict and standard accuracy (0 or 1).
    public var score: Double
    public var strict: Double
    public var accuracy: Double
    /// Residual background noise of the image (`NoiseMetric`).
    public var noise: Double
}

public enum Evaluation {
    /// Samples `samplesPerLine` images per entry (keys: seed, step 0, line, sample) and scores them.
    public static func run(model: FlowUNet, entries: [PromptEntry], config: SamplerConfig, guidance: Double,
                           seed: UInt64, samplesPerLine: Int = 1) throws -> EvaluationReport {
        let samples = try self.samples(model: model, entries: Array(entries.enumerated()), config: config,
                                       guidance: guidance, seed: seed, samplesPerLine: samplesPerLine)
        return report(samples)
    }

    /// Generates and scores the given (index, entry) pairs; the index fixes the noise seed, so any split of a list
    /// into parts gives the same images as the whole.
    public static func samples(model: FlowUNet, entries: [(offset: Int, element: PromptEntry)], config: SamplerConfig,
                               guidance: Double, seed: UInt64, samplesPerLine: Int = 1) throws -> [EvaluatedSample] {
        var prompts: [String] = [], keys: [SampleKey] = [], lines: [(Int, Int, PromptEntry)] = []
        for (i, e) in entries {
            for j in 0..<samplesPerLine {
                prompts.append(e.prompt)
                keys.append(SampleKey(seed: seed, step: 0, prompt: i, sample: j))
                lines.append((i, j, e))
            }
        }
        let images = try Generation.images(model: model, prompts: prompts, keys: keys, config: config, guidance: guidance)
        return try zip(images, lines).map { image, line in
            let (i, j, entry) = line
            let input = try RewardInput(image: image, prompt: entry.prompt)
            let reward: any Reward = entry.category == .text ? OCRReward() : GenEvalReward()
            let s = try reward.score(input)
            let strict = s.details["strict"] ?? 0
            return EvaluatedSample(index: i, sample: j, entry: entry, image: image, score: s.value, strict: strict,
                                   accuracy: s.details["accuracy"] ?? strict, noise: try NoiseMetric().score(input).value)
        }
    }

    /// Per-category means of scored samples.
    public static func report(_ samples: [EvaluatedSample]) -> EvaluationReport {
        var report = EvaluationReport(images: samples.map(\.image), entries: samples.map(\.entry))
        var sums: [PromptCategory: CategoryResult] = [:]
        for s in samples {
            var r = sums[s.entry.category] ?? CategoryResult()
            r.images += 1
            r.strict += s.strict
            r.accuracy += s.accuracy
            r.score += s.score
            r.noise += s.noise
            sums[s.entry.category] = r
        }
        for (c, r) in sums {
            let n = Double(r.images)
            report.categories[c] = CategoryResult(images: r.images, strict: r.strict / n, accuracy: r.accuracy / n,
                                                  score: r.score / n, noise: r.noise / n)
        }
        return report
    }
}
