import Foundation
import Testing
@testable import Model

/// The golden test (llm.c's test_gpt2 idea): tiny configs with weights, batch, velocity and 11 losses produced by
/// the PyTorch reference (Fixtures/make_golden.py, ops/python/torch_unet.py). Swift must reproduce the velocity
/// and the loss curve of 10 AdamW steps. `golden-tiny` is the v1 architecture; `golden-tiny-v2` adds what v2 adds
/// (two text layers, cross-attention at full resolution, the image position table).
struct GoldenTests {
    static func fixturePath(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name).safetensors").path
    }

    @Test(arguments: ["golden-tiny", "golden-tiny-v2"])
    func velocityAndTenAdamWStepsMatchPyTorch(fixture: String) throws {
        let file = try SafetensorsFile.read(path: Self.fixturePath(fixture))
        #expect(file.metadata["flowcps.golden"] == "1", "fixture version changed: regenerate with make_golden.py")
        let config = try Checkpoint.config(of: file, name: "golden")
        let model = try FlowUNet(config: config, seed: 0)
        try Checkpoint.fill(model.parameters, layout: model.layout, from: file, name: "golden")
        let x0 = file.tensor("input.x0")!.values, noise = file.tensor("input.noise")!.values
        let t = file.tensor("input.t")!.values
        let tokenRows = file.tensor("input.tokens")!
        let l = tokenRows.shape[1]
        let tokens = (0..<t.count).map { b in tokenRows.values[(b * l)..<((b + 1) * l)].filter { $0 >= 0 }.map { Int($0) } }
        let (xt, target) = FlowMatching.noised(x0: x0, noise: noise, t: t, sampleSize: model.sampleSize)

        let v = try model.velocity(x: xt, t: t, tokens: tokens)
        let expectedV = file.tensor("expected.velocity")!.values
        let maxErr = zip(v, expectedV).map { abs($0 - $1) }.max()!
        #expect(maxErr < 1e-4, "velocity differs by up to \(maxErr)")

        let expectedLosses = file.tensor("expected.losses")!.values
        let adam = AdamW(count: model.parameters.count, weightDecay: 0.01)
        var losses: [Double] = []
        for step in 0...10 {
            let v = try model.velocity(x: xt, t: t, tokens: tokens)
            let (loss, grad) = FlowMatching.loss(prediction: v, target: target)
            losses.append(loss)
            if step == 10 { break }
            model.zeroGradients()
            model.backward(dVelocity: grad)
            adam.update(parameters: model.parameters, gradients: UnsafeBufferPointer(model.gradients), lr: 1e-3)
        }
        for (i, (a, b)) in zip(losses, expectedLosses).enumerated() {
            #expect(abs(a - Double(b)) < 1e-4 * Double(b), "loss \(i): swift \(a), pytorch \(b)")
        }
        #expect(losses.count == expectedLosses.count)
    }
}
