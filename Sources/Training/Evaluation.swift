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
    /// Standard error of `strict`, clustered by prompt line (the images of one line are not independent): the
    /// standard deviation of the per-line means over √lines; with a single line, the binomial error of its images.
    public var strictStandardError = 0.0
    /// Images whose objects (counts and colours) are right, and of those the ones whose relation holds (position
    /// prompts only; chance ≈ 0.28).
    public var objectsRight = 0
    public var relationHolds = 0
    /// Images whose counts are right on prompts that name colours, and of those the ones with every colour right.
    public var countsRight = 0
    public var coloursRight = 0

    /// P(relation holds | objects right), nil without such images.
    public var relationGivenObjects: Double? { objectsRight == 0 ? nil : Double(relationHolds) / Double(objectsRight) }
    /// P(colours right | counts right), nil without such images.
    public var coloursGivenCounts: Double? { countsRight == 0 ? nil : Double(coloursRight) / Double(countsRight) }
}

/// An evaluation: deterministic sampling of every prompt line with fixed seeds, scored by the reward that fits the
/// prompt family (geneval for objects, ocr for text).
public struct EvaluationReport: Sendable {
    public var categories: [PromptCategory: CategoryResult] = [:]
    public var images: [RGBImage] = []
    public var entries: [PromptEntry] = []

    /// The categories with images, in `PromptCategory` order: every sum below runs in this fixed order, so its
    /// last bits do not depend on the dictionary's per-process hash seed.
    var ordered: [CategoryResult] {
        PromptCategory.allCases.compactMap { categories[$0] }.filter { $0.images > 0 }
    }

    /// GenEval's overall score: the mean of the per-category strict accuracies.
    public var overallStrict: Double {
        let c = ordered
        return c.isEmpty ? 0 : c.map(\.strict).reduce(0, +) / Double(c.count)
    }

    /// Mean residual noise over all images.
    public var meanNoise: Double {
        let n = ordered.map(\.images).reduce(0, +)
        return n == 0 ? 0 : ordered.map { $0.noise * Double($0.images) }.reduce(0, +) / Double(n)
    }

    /// Standard error of `overallStrict`: the categories' clustered errors combined (categories are disjoint).
    public var overallStrictStandardError: Double {
        let c = ordered
        return c.isEmpty ? 0 : c.map { $0.strictStandardError * $0.strictStandardError }.reduce(0, +).squareRoot()
            / Double(c.count)
    }

    /// Mean of the per-category partial scores.
    public var overallScore: Double {
        let c = ordered
        return c.isEmpty ? 0 : c.map(\.score).reduce(0, +) / Double(c.count)
    }

    /// Mean of the per-category standard accuracies.
    public var overallAccuracy: Double {
        let c = ordered
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
    /// Object prompts: whether the colours are right given the counts, and the relation given counts and colours
    /// (nil where not determined; see `GenEvalVerdict`).
    public var coloursRight: Bool? = nil
    public var relationHolds: Bool? = nil
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
            let noise = try NoiseMetric().score(input).value
            if entry.category == .text {
                let s = try OCRReward().score(input)
                let strict = s.details["strict"] ?? 0
                return EvaluatedSample(index: i, sample: j, entry: entry, image: image, score: s.value, strict: strict,
                                       accuracy: s.details["accuracy"] ?? strict, noise: noise)
            }
            let v = try GenEvalReward().verdict(input)
            return EvaluatedSample(index: i, sample: j, entry: entry, image: image, score: v.score,
                                   strict: v.strict ? 1 : 0, accuracy: v.accuracy ? 1 : 0, noise: noise,
                                   coloursRight: v.coloursRight, relationHolds: v.relationHolds)
        }
    }

    /// Per-category means of scored samples, with their images and prompts.
    public static func report(_ samples: [EvaluatedSample]) -> EvaluationReport {
        var report = summary(samples)
        report.images = samples.map(\.image)
        report.entries = samples.map(\.entry)
        return report
    }

    /// Per-category means of scores (from samples just made, or read back from the database), in any order.
    public static func summary<S: EvaluationScore>(_ samples: [S]) -> EvaluationReport {
        var report = EvaluationReport()
        var sums: [PromptCategory: CategoryResult] = [:]
        var lines: [PromptCategory: [Int: (sum: Double, count: Int)]] = [:]
        // Sums in (line, sample) order: their last bits must not depend on the order the scores came in.
        for s in samples.sorted(by: { ($0.index, $0.sample) < ($1.index, $1.sample) }) {
            var r = sums[s.category] ?? CategoryResult()
            r.images += 1
            r.strict += s.strict
            r.accuracy += s.accuracy
            r.score += s.score
            r.noise += s.noise
            if let c = s.coloursRight {
                r.countsRight += 1
                r.coloursRight += c ? 1 : 0
            }
            if let h = s.relationHolds {
                r.objectsRight += 1
                r.relationHolds += h ? 1 : 0
            }
            sums[s.category] = r
            let old = lines[s.category, default: [:]][s.index] ?? (0, 0)
            lines[s.category, default: [:]][s.index] = (old.sum + s.strict, old.count + 1)
        }
        for (c, r0) in sums {
            var r = r0
            let n = Double(r.images)
            r.strict /= n
            r.accuracy /= n
            r.score /= n
            r.noise /= n
            let means = lines[c, default: [:]].sorted { $0.key < $1.key }.map { $0.value.sum / Double($0.value.count) }
            if means.count > 1 {
                let m = means.reduce(0, +) / Double(means.count)
                let variance = means.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(means.count - 1)
                r.strictStandardError = (variance / Double(means.count)).squareRoot()
            } else if r.images > 1 {
                // One line: its images are independent draws of the same prompt (binomial error).
                r.strictStandardError = (r.strict * (1 - r.strict) / Double(r.images - 1)).squareRoot()
            }
            report.categories[c] = r
        }
        return report
    }
}

/// What an evaluation's summary needs of one scored image.
public protocol EvaluationScore {
    /// The prompt line (its seed key) and the image's number among that line's images.
    var index: Int { get }
    var sample: Int { get }
    var category: PromptCategory { get }
    var score: Double { get }
    var strict: Double { get }
    var accuracy: Double { get }
    var noise: Double { get }
    var coloursRight: Bool? { get }
    var relationHolds: Bool? { get }
}

extension EvaluatedSample: EvaluationScore {
    public var category: PromptCategory { entry.category }
}

/// A scored evaluation image without its pixels (as stored).
public struct StoredEvaluationScore: EvaluationScore, Sendable {
    public var index: Int
    public var sample: Int
    public var category: PromptCategory
    public var score: Double
    public var strict: Double
    public var accuracy: Double
    public var noise: Double
    public var coloursRight: Bool?
    public var relationHolds: Bool?

    public init(index: Int, sample: Int, category: PromptCategory, score: Double, strict: Double, accuracy: Double,
                noise: Double, coloursRight: Bool? = nil, relationHolds: Bool? = nil) {
        self.index = index
        self.sample = sample
        self.category = category
        self.score = score
        self.strict = strict
        self.accuracy = accuracy
        self.noise = noise
        self.coloursRight = coloursRight
        self.relationHolds = relationHolds
    }
}
