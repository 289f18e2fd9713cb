import Imaging
import NumericCore

/// A rendered training example: the prompt, its spec, the layout drawn and the image.
public struct SceneSample: Sendable {
    public var prompt: String
    public var spec: SceneSpec
    public var layout: SceneLayout
    public var image: RGBImage
}

/// Random scenes for pre-training: a random spec from the whole grammar (every category, every variant), a random
/// layout for it, and its canonical prompt. Draw i of a seed is a pure function of (seed, i).
public enum SceneSampler {
    /// Example number `index` of the pre-training stream `seed`, its category drawn from `mix`.
    public static func sample(seed: UInt64, index: Int, size: Int = World.canvas,
                              mix: CategoryMix = .standard) -> SceneSample {
        var stream = RandomStream(key: StreamKey(seed: seed, domain: "pretrain-scene").child(index))
        while true {
            // Random specs are valid by construction, and ≤ 4 objects are placed one by one when whole layouts keep
            // failing; should a scene still not fit, the next spec of the same stream is drawn (never a crash).
            if let sample = try? render(randomSpec(stream: &stream, mix: mix), stream: &stream, size: size) {
                return sample
            }
        }
    }

    /// Example number `index` of a fine-tuning stream over fixed scenes: a uniformly drawn spec of `specs`, drawn
    /// with a fresh layout (the supervised capacity probe's ground truth). Pure function of (seed, index, specs);
    /// throws when the drawn scene cannot be placed.
    public static func sample(seed: UInt64, index: Int, size: Int = World.canvas, specs: [SceneSpec]) throws -> SceneSample {
        guard !specs.isEmpty else { throw PromptError(.empty, "no scenes to sample from") }
        var stream = RandomStream(key: StreamKey(seed: seed, domain: "finetune-scene").child(index))
        let spec = specs[stream.int(below: specs.count)]
        return try render(spec, stream: &stream, size: size)
    }

    private static func render(_ spec: SceneSpec, stream: inout RandomStream, size: Int) throws -> SceneSample {
        let layout = try SceneLayoutSampler.layout(for: spec, stream: &stream)
        return SceneSample(prompt: PromptWriter.prompt(for: spec), spec: spec, layout: layout,
                           image: SceneRenderer.render(layout, size: size))
    }

    /// A random valid spec of a category drawn from `mix`.
    public static func randomSpec(stream: inout RandomStream, mix: CategoryMix = .standard) -> SceneSpec {
        randomSpec(category: mix.category(at: stream.int(below: mix.total)), stream: &stream)
    }

    /// A random valid spec of `category`.
    public static func randomSpec(category: PromptCategory, stream: inout RandomStream) -> SceneSpec {
        let shapes = ShapeKind.allCases, colors = PaletteColor.allCases
        func twoShapes() -> (ShapeKind, ShapeKind) {
            let a = stream.element(of: shapes)
            var b = stream.element(of: shapes)
            while b == a { b = stream.element(of: shapes) }
            return (a, b)
        }
        func twoColors() -> (PaletteColor, PaletteColor) {
            let a = stream.element(of: colors)
            var b = stream.element(of: colors)
            while b == a { b = stream.element(of: colors) }
            return (a, b)
        }
        switch category {
        case .singleObject:
            return .objects([ObjectClause(shape: stream.element(of: shapes))], relation: nil)
        case .twoObject:
            let (a, b) = twoShapes()
            return .objects([ObjectClause(shape: a), ObjectClause(shape: b)], relation: nil)
        case .counting:
            let color: PaletteColor? = stream.int(below: 2) == 0 ? nil : stream.element(of: colors)
            return .objects([ObjectClause(count: stream.int(in: 2...World.maxObjects), color: color,
                                          shape: stream.element(of: shapes))], relation: nil)
        case .colors:
            return .objects([ObjectClause(color: stream.element(of: colors), shape: stream.element(of: shapes))],
                            relation: nil)
        case .position:
            let relation = stream.element(of: SpatialRelation.allCases)
            if stream.int(below: 2) == 0 {
                let (a, b) = twoShapes()
                return .objects([ObjectClause(shape: a), ObjectClause(shape: b)], relation: relation)
            }
            let (ca, cb) = twoColors()
            return .objects([ObjectClause(color: ca, shape: stream.element(of: shapes)),
                             ObjectClause(color: cb, shape: stream.element(of: shapes))], relation: relation)
        case .colorAttr:
            let (a, b) = twoShapes()
            let (ca, cb) = twoColors()
            return .objects([ObjectClause(color: ca, shape: a), ObjectClause(color: cb, shape: b)], relation: nil)
        case .text:
            let n = stream.int(in: 1...4)
            return .text(String((0..<n).map { _ in stream.element(of: Vocabulary.textCharacters) }))
        }
    }
}
