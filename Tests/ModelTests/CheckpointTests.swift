import Foundation
import Testing
@testable import Model

struct CheckpointTests {
    private func tmp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("flowcps-ckpt-\(UUID())-\(name)").path
    }

    @Test func roundTripKeepsEveryValueConfigAndStep() throws {
        let model = try FlowUNet(config: .tiny, seed: 9)
        let path = tmp("a.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint.save(model, step: 123, to: path, metadata: ["note": "x"])
        let (loaded, step, file) = try Checkpoint.load(path: path)
        #expect(step == 123 && loaded.config == model.config && file.metadata["note"] == "x")
        #expect(Array(loaded.parameters) == Array(model.parameters))
    }

    /// The shipped v1 base stores its config without the keys added for v2: it must decode as v1 and a v1 config
    /// must still encode to the same JSON (so v1 checkpoints keep their bytes).
    @Test func v1ConfigJSONDecodesAsV1AndV1EncodesWithoutV2Keys() throws {
        let shipped = #"{"attentionHeads":4,"blocksPerLevel":2,"channels":[32,64,128],"conditionWidth":256,"crossAttentionLevels":[1,2],"groups":8,"imageChannels":3,"imageSize":32,"maxTokens":12,"middleAttention":true,"textHeads":4,"textLayers":1,"textWidth":128,"timeFeatures":128,"vocabularySize":80}"#
        let decoded = try JSONDecoder().decode(ModelConfig.self, from: Data(shipped.utf8))
        #expect(decoded == .standard)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(String(decoding: try encoder.encode(ModelConfig.standard), as: UTF8.self) == shipped)
        let v2 = String(decoding: try encoder.encode(ModelConfig.v2), as: UTF8.self)
        #expect(v2.contains(#""imagePositionEmbedding":true"#))
        #expect(try JSONDecoder().decode(ModelConfig.self, from: Data(v2.utf8)) == .v2)
        #expect(ModelConfig.standard.differences(from: .v2) == [
            "crossAttentionLevels: [1,2] vs [0,1,2]", "imagePositionEmbedding: false vs true", "textLayers: 1 vs 2"])
        #expect(ModelConfig.v2.differences(from: .v2).isEmpty)
    }

    @Test func v1CheckpointLoadsAsV1AndV2CheckpointAsV2() throws {
        for config in [ModelConfig.tiny, .tinyV2] {
            let model = try FlowUNet(config: config, seed: 4)
            let path = tmp("c.safetensors")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try Checkpoint.save(model, step: 7, to: path)
            let (loaded, _, _) = try Checkpoint.load(path: path)
            #expect(loaded.config == config)
            #expect(loaded.layout.entries.contains { $0.name == "unet.position_embedding" } == config.imagePositionEmbedding)
            #expect(Array(loaded.parameters) == Array(model.parameters))
        }
    }

    /// A v1 checkpoint grown into the v2 config keeps every v1 tensor and reports exactly the new ones; a
    /// checkpoint cannot shrink into a config that lacks its tensors.
    @Test func growingCopiesMatchingTensorsAndNamesTheNewOnes() throws {
        let v1 = try FlowUNet(config: .tiny, seed: 2)
        let file = try Checkpoint.file(v1, step: 3)
        let v2 = try FlowUNet(config: .tinyV2, seed: 5)
        let fresh = try Checkpoint.fillGrowing(v2.parameters, layout: v2.layout, from: file, name: "v1")
        let v1Names = Set(v1.layout.entries.map(\.name))
        #expect(Set(fresh) == Set(v2.layout.entries.map(\.name)).subtracting(v1Names))
        #expect(fresh.contains("unet.position_embedding") && fresh.contains { $0.hasPrefix("text.layer.1.") })
        for e in v1.layout.entries {
            let target = v2.layout.entry(e.name)!
            #expect(Array(v1.parameters[e.offset..<(e.offset + e.count)])
                    == Array(v2.parameters[target.offset..<(target.offset + target.count)]), "\(e.name)")
        }
        let back = try FlowUNet(config: .tiny, seed: 1)
        #expect {
            _ = try Checkpoint.fillGrowing(back.parameters, layout: back.layout, from: try Checkpoint.file(v2, step: 0),
                                           name: "v2")
        } throws: { ($0 as? ModelError)?.message.contains("has no place in the new config") == true }
    }

    private func expectBad(_ bytes: [UInt8], _ needle: String) {
        #expect {
            _ = try SafetensorsFile.parse(bytes, name: "f")
        } throws: { error in
            guard let e = error as? ModelError, e.code == .badCheckpoint else { return false }
            return e.message.contains(needle)
        }
    }

    @Test func corruptTruncatedAndForeignFilesAreClearErrors() throws {
        let model = try FlowUNet(config: .tiny, seed: 1)
        let path = tmp("b.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint.save(model, step: 1, to: path)
        let good = [UInt8](FileManager.default.contents(atPath: path)!)
        expectBad(Array(good.prefix(5)), "too short")
        expectBad(Array(good.prefix(good.count / 2)), "truncated")
        var flipped = good
        flipped[flipped.count - 10] ^= 0x40
        expectBad(flipped, "checksum")
        var header = good
        header[12] = 0x7B // damage the JSON
        header[8] = 0x00
        expectBad(header, "JSON")
        expectBad(Array("not a checkpoint at all, just text".utf8), "header length")
        // A float16 tensor is refused by dtype.
        let f16 = SafetensorsFile(tensors: []).serialized()
        _ = f16
        let json = #"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#
        var bytes = [UInt8](repeating: 0, count: 8)
        var h = Array(json.utf8)
        while (8 + h.count) % 8 != 0 { h.append(0x20) }
        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: h.count >> (8 * i)) }
        expectBad(bytes + h + [0, 0, 0, 0], "dtype F16")
        // Shapes whose element count overflows Int, or exceeds the data, are refused before any allocation
        // (the first used to trap on the multiplication).
        for shape in ["[1099511627776, 1099511627776]", "[4611686018427387904, 4]", "[1000000000]"] {
            let big = #"{"w":{"dtype":"F32","shape":"# + shape + #","data_offsets":[0,4]}}"#
            var b = [UInt8](repeating: 0, count: 8)
            var hb = Array(big.utf8)
            while (8 + hb.count) % 8 != 0 { hb.append(0x20) }
            for i in 0..<8 { b[i] = UInt8(truncatingIfNeeded: hb.count >> (8 * i)) }
            expectBad(b + hb + [0, 0, 0, 0], "needs more bytes")
        }
    }

    @Test func mismatchedCheckpointsAreRefused() throws {
        let tiny = try FlowUNet(config: .tiny, seed: 1)
        var other = ModelConfig.tiny
        other.channels = [4, 16]
        let wide = try FlowUNet(config: other, seed: 1)
        let path = tmp("c.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint.save(wide, step: 0, to: path)
        let file = try SafetensorsFile.read(path: path)
        #expect {
            try Checkpoint.fill(tiny.parameters, layout: tiny.layout, from: file, name: "c")
        } throws: { ($0 as? ModelError)?.message.contains("has shape") == true }
        let partial = SafetensorsFile(tensors: Array(file.tensors.dropFirst()), metadata: file.metadata)
        #expect {
            try Checkpoint.fill(wide.parameters, layout: wide.layout, from: partial, name: "d")
        } throws: { ($0 as? ModelError)?.message.contains("is missing") == true }
        let foreign = SafetensorsFile(tensors: file.tensors, metadata: [:])
        #expect { _ = try Checkpoint.config(of: foreign, name: "e") } throws: { ($0 as? ModelError)?.message.contains("not a FlowCPS checkpoint") == true }
        #expect { _ = try Checkpoint.load(path: "/nonexistent.safetensors") } throws: { ($0 as? ModelError)?.code == .io }
    }
}

struct OptimizerTests {
    @Test func adamWMatchesItsFormulaWorkedByHand() {
        // One parameter, gradient 0.5, lr 0.1, wd 0.1: θ1 = 1·(1 − 0.01) − 0.1·(0.05/0.1)/(√(0.00025)/√0.001 + 1e-8)
        //   = 0.99 − 0.1·0.5/0.5 = 0.89 (bias-corrected m̂ = 0.5, v̂ = 0.25).
        let adam = AdamW(count: 1, weightDecay: 0.1)
        let p = UnsafeMutableBufferPointer<Float>.allocate(capacity: 1)
        defer { p.deallocate() }
        p[0] = 1
        let g: [Float] = [0.5]
        g.withUnsafeBufferPointer { adam.update(parameters: p, gradients: $0, lr: 0.1) }
        #expect(abs(p[0] - 0.89) < 1e-6)
        #expect(adam.step == 1)
    }

    @Test func clippingAndSchedules() {
        let g = UnsafeMutableBufferPointer<Float>.allocate(capacity: 2)
        defer { g.deallocate() }
        g[0] = 3; g[1] = 4
        #expect(clipGradientNorm(g, maxNorm: 1) == 5)
        #expect(abs(g[0] - 0.6) < 1e-5 && abs(g[1] - 0.8) < 1e-5)
        #expect(clipGradientNorm(g, maxNorm: 10) < 1.0001 && abs(g[0] - 0.6) < 1e-5)
        let s = LearningRateSchedule(peak: 1, warmupSteps: 10, totalSteps: 110, decay: .cosine, minimum: 0)
        #expect(s.rate(at: 0) == 0.1 && s.rate(at: 9) == 1 && abs(s.rate(at: 60) - 0.5) < 1e-12 && s.rate(at: 200) == 0)
        let lin = LearningRateSchedule(peak: 2, warmupSteps: 0, totalSteps: 100, decay: .linear)
        #expect(lin.rate(at: 50) == 1)
        let buf = [Float](repeating: 0, count: 1)
        let ema = buf.withUnsafeBufferPointer { ExponentialMovingAverage(copying: $0, decay: 0.5) }
        let one: [Float] = [1]
        one.withUnsafeBufferPointer { ema.update(with: $0) } // d = min(0.5, 1/10) = 0.1
        #expect(abs(ema.values[0] - 0.9) < 1e-6)
    }
}
