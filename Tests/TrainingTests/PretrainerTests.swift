import Foundation
import Model
import Scenes
import Testing
@testable import Training

/// Pre-training and fine-tuning data sources, and restoring a state saved for another architecture.
struct PretrainerTests {
    @Test func fineTuningBatchesDrawOnlyTheGivenScenesWithFreshLayouts() throws {
        let prompts = ["a red circle left of a blue square", "a green triangle above a yellow circle"]
        let specs = try prompts.map { try PromptParser.parse($0) }
        let b = try PretrainBatch.make(seed: 5, step: 0, size: 40, imageSize: 32, dropout: 0, source: .scenes(specs))
        #expect(Set(b.prompts) == Set(prompts), "both prompts drawn, nothing else")
        // The same prompt twice in a batch gets two different layouts (fresh ground truth, not a fixed picture).
        let first = b.prompts.indices.filter { b.prompts[$0] == prompts[0] }
        let size = 32 * 32 * 3
        let images = first.map { Array(b.x0[($0 * size)..<(($0 + 1) * size)]) }
        #expect(Set(images.map { $0.hashValue }).count > 1)
        // A pure function of (seed, step, size, source).
        let again = try PretrainBatch.make(seed: 5, step: 0, size: 40, imageSize: 32, dropout: 0, source: .scenes(specs))
        #expect(again.x0 == b.x0 && again.prompts == b.prompts)
    }

    @Test func theTimeLocationShiftsTheNoiseLevelsAndNothingElse() throws {
        let plain = try PretrainBatch.make(seed: 3, step: 0, size: 400, imageSize: 32, dropout: 0)
        let high = try PretrainBatch.make(seed: 3, step: 0, size: 400, imageSize: 32, dropout: 0, timeLocation: 1.5)
        #expect(high.x0 == plain.x0 && high.noise == plain.noise && high.prompts == plain.prompts)
        // Same normal draws: t = σ(1.5 + n) against σ(n), element by element.
        for (a, b) in zip(plain.t, high.t) {
            let n = log(Double(a) / (1 - Double(a)))
            #expect(abs(Double(b) - 1 / (1 + exp(-(1.5 + n)))) < 1e-5)
        }
        // Median σ(1.5) = 0.818 against σ(0) = 0.5; a quarter of draws above σ(1.5 + 0.674) = 0.898.
        let median = high.t.sorted()[200]
        #expect(abs(Double(median) - 0.818) < 0.05, "median t \(median)")
        #expect(abs(Double(plain.t.sorted()[200]) - 0.5) < 0.05)
    }

    @Test func categoryMixSetsTheCategoryFrequencies() throws {
        let mix = try CategoryMix(parsing: "position=3,text=1")
        #expect(mix.weights == [0, 0, 0, 0, 3, 0, 1])
        var counts: [PromptCategory: Int] = [:]
        for i in 0..<800 {
            let s = SceneSampler.sample(seed: 1, index: i, mix: mix)
            let category: PromptCategory = if case .text = s.spec { .text } else { .position }
            if case let .objects(_, relation) = s.spec { #expect(relation != nil, "\(s.prompt) is not a position scene") }
            counts[category, default: 0] += 1
        }
        // 600 ± 3·12 position scenes expected.
        #expect(abs(counts[.position, default: 0] - 600) < 40, "\(counts)")
        #expect(try CategoryMix(parsing: "standard") == .standard && CategoryMix(parsing: "v2") == .v2)
        for bad in ["position", "colour=2", "position=-1", "position=0", "", "position=2,,text=1"] {
            #expect(throws: PromptError.self, "\(bad)") { try CategoryMix(parsing: bad) }
        }
    }

    @Test func aStateOfAnotherArchitectureIsAClearErrorNamingTheMismatch() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("flowcps-state-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = PretrainOptions()
        options.batch = 2
        options.steps = 1
        func readable(_ c: ModelConfig) -> ModelConfig {
            var c = c
            c.imageSize = 16
            c.vocabularySize = Vocabulary.tokens.count
            c.maxTokens = Tokenizer.maxTokens
            return c
        }
        let v1 = try Pretrainer(model: try FlowUNet(config: readable(.tiny), seed: 1), options: options)
        _ = try v1.trainStep()
        try v1.saveState(to: path)
        let v2 = try Pretrainer(model: try FlowUNet(config: readable(.tinyV2), seed: 1), options: options)
        #expect {
            try v2.restoreState(from: path)
        } throws: { error in
            let message = "\(error)"
            return message.contains("imagePositionEmbedding: true vs false") && message.contains("textLayers: 2 vs 1")
        }
    }
}
