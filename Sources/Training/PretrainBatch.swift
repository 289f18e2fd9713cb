import Imaging
import Model
import NumericCore
import Scenes

/// Where training scenes come from: random scenes of the whole grammar in a category mix (pre-training), or fresh
/// layouts of a fixed list of scenes (fine-tuning, the supervised capacity probe).
public enum SceneSource: Sendable, Equatable {
    case world(CategoryMix)
    case scenes([SceneSpec])
}

/// One pre-training batch: images of random scenes with their prompts' tokens (10% replaced by the empty prompt
/// for classifier-free guidance), logit-normal noise levels (location `timeLocation`) and noise. Pure function of
/// (seed, step, size, source, timeLocation).
public struct PretrainBatch: Sendable {
    public var x0: [Float]
    public var noise: [Float]
    public var t: [Float]
    public var tokens: [[Int]]
    public var prompts: [String]

    /// The batch of optimizer step `step`: scenes `step·size ..< (step+1)·size` of the pre-training stream.
    public static func make(seed: UInt64, step: Int, size: Int, imageSize: Int, dropout: Double,
                            source: SceneSource = .world(.standard), timeLocation: Float = 0) throws -> PretrainBatch {
        var x0: [Float] = [], noise: [Float] = [], t: [Float] = [], tokens: [[Int]] = [], prompts: [String] = []
        for i in 0..<size {
            let index = step * size + i
            let sample = switch source {
            case let .world(mix): SceneSampler.sample(seed: seed, index: index, size: imageSize, mix: mix)
            case let .scenes(specs): try SceneSampler.sample(seed: seed, index: index, size: imageSize, specs: specs)
            }
            x0 += sample.image.interleavedFloats()
            var s = RandomStream(key: StreamKey(seed: seed, domain: "pretrain-noise").child(index))
            noise += s.gaussians(imageSize * imageSize * 3)
            t.append(FlowMatching.logitNormal(&s, location: timeLocation))
            let drop = Double(s.uniform()) < dropout
            tokens.append(drop ? [] : ((try? Tokenizer.tokenize(sample.spec)) ?? []))
            prompts.append(drop ? "" : sample.prompt)
        }
        return PretrainBatch(x0: x0, noise: noise, t: t, tokens: tokens, prompts: prompts)
    }
}
