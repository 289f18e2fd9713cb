import Foundation

/// The shape of the flow U-Net (docs/model.md). Stored in every checkpoint's metadata; any consistent config
/// builds without code changes.
public struct ModelConfig: Codable, Equatable, Sendable {
    /// Image side and channels (NHWC input and output).
    public var imageSize = 32
    public var imageChannels = 3
    /// Channels per resolution level (level i works at imageSize / 2^i).
    public var channels = [32, 64, 128]
    /// Residual blocks per level on the way down, and again on the way up.
    public var blocksPerLevel = 2
    /// Levels whose blocks are followed by cross-attention to the prompt.
    public var crossAttentionLevels = [1, 2]
    /// Self- and cross-attention in the middle block.
    public var middleAttention = true
    /// Heads of every image attention layer.
    public var attentionHeads = 4
    /// GroupNorm groups (must divide every channel count).
    public var groups = 8
    /// Text encoder: width, heads, transformer layers, token slots, vocabulary rows.
    public var textWidth = 128
    public var textHeads = 4
    public var textLayers = 1
    public var maxTokens = 12
    public var vocabularySize = 80
    /// Sinusoidal timestep features and the width of the conditioning vector.
    public var timeFeatures = 128
    public var conditionWidth = 256
    /// A learned table of one vector per pixel added after the input convolution, so that every layer (and every
    /// attention query) knows where in the image it is: what a prompt such as "a circle left of a square" needs.
    /// Off in the v1 architecture; a config without the key decodes as off.
    public var imagePositionEmbedding = false

    public init() {}

    /// The second architecture (base v2, models/README.md): two text layers, cross-attention at every level
    /// (32, 16 and 8 px) and the image position table.
    public static var v2: ModelConfig {
        var c = ModelConfig()
        c.textLayers = 2
        c.crossAttentionLevels = [0, 1, 2]
        c.imagePositionEmbedding = true
        return c
    }

    /// The default ≈4 M-parameter model.
    public static let standard = ModelConfig()

    /// A tiny config for gradient checks and golden tests.
    public static var tiny: ModelConfig {
        var c = ModelConfig()
        c.imageSize = 8
        c.channels = [4, 8]
        c.blocksPerLevel = 1
        c.crossAttentionLevels = [1]
        c.attentionHeads = 2
        c.groups = 2
        c.textWidth = 8
        c.textHeads = 2
        c.maxTokens = 4
        c.vocabularySize = 10
        c.timeFeatures = 8
        c.conditionWidth = 8
        return c
    }

    private enum CodingKeys: String, CodingKey {
        case imageSize, imageChannels, channels, blocksPerLevel, crossAttentionLevels, middleAttention, attentionHeads,
             groups, textWidth, textHeads, textLayers, maxTokens, vocabularySize, timeFeatures, conditionWidth,
             imagePositionEmbedding
    }

    /// Every field is required except those added after v1, which default to the v1 behaviour when absent.
    public init(from decoder: any Decoder) throws {
        let k = try decoder.container(keyedBy: CodingKeys.self)
        imageSize = try k.decode(Int.self, forKey: .imageSize)
        imageChannels = try k.decode(Int.self, forKey: .imageChannels)
        channels = try k.decode([Int].self, forKey: .channels)
        blocksPerLevel = try k.decode(Int.self, forKey: .blocksPerLevel)
        crossAttentionLevels = try k.decode([Int].self, forKey: .crossAttentionLevels)
        middleAttention = try k.decode(Bool.self, forKey: .middleAttention)
        attentionHeads = try k.decode(Int.self, forKey: .attentionHeads)
        groups = try k.decode(Int.self, forKey: .groups)
        textWidth = try k.decode(Int.self, forKey: .textWidth)
        textHeads = try k.decode(Int.self, forKey: .textHeads)
        textLayers = try k.decode(Int.self, forKey: .textLayers)
        maxTokens = try k.decode(Int.self, forKey: .maxTokens)
        vocabularySize = try k.decode(Int.self, forKey: .vocabularySize)
        timeFeatures = try k.decode(Int.self, forKey: .timeFeatures)
        conditionWidth = try k.decode(Int.self, forKey: .conditionWidth)
        imagePositionEmbedding = try k.decodeIfPresent(Bool.self, forKey: .imagePositionEmbedding) ?? false
    }

    /// Fields added after v1 are written only when they differ from the v1 behaviour, so a v1 model's checkpoint
    /// bytes stay what they were.
    public func encode(to encoder: any Encoder) throws {
        var k = encoder.container(keyedBy: CodingKeys.self)
        try k.encode(imageSize, forKey: .imageSize)
        try k.encode(imageChannels, forKey: .imageChannels)
        try k.encode(channels, forKey: .channels)
        try k.encode(blocksPerLevel, forKey: .blocksPerLevel)
        try k.encode(crossAttentionLevels, forKey: .crossAttentionLevels)
        try k.encode(middleAttention, forKey: .middleAttention)
        try k.encode(attentionHeads, forKey: .attentionHeads)
        try k.encode(groups, forKey: .groups)
        try k.encode(textWidth, forKey: .textWidth)
        try k.encode(textHeads, forKey: .textHeads)
        try k.encode(textLayers, forKey: .textLayers)
        try k.encode(maxTokens, forKey: .maxTokens)
        try k.encode(vocabularySize, forKey: .vocabularySize)
        try k.encode(timeFeatures, forKey: .timeFeatures)
        try k.encode(conditionWidth, forKey: .conditionWidth)
        if imagePositionEmbedding { try k.encode(true, forKey: .imagePositionEmbedding) }
    }

    /// The tiny config with the v2 features (two text layers, cross-attention at full resolution, the image
    /// position table), for gradient checks and the second golden test.
    public static var tinyV2: ModelConfig {
        var c = tiny
        c.textLayers = 2
        c.crossAttentionLevels = [0, 1]
        c.imagePositionEmbedding = true
        return c
    }

    /// The fields in which `other` differs from this config, as "field: this vs other" (empty when equal).
    public func differences(from other: ModelConfig) -> [String] {
        func fields(_ c: ModelConfig) -> [String: String] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            var all = ModelConfig.v1Defaults
            if let data = try? encoder.encode(c),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                for (k, v) in object {
                    all[k] = (try? JSONSerialization.data(withJSONObject: v, options: [.fragmentsAllowed]))
                        .map { String(decoding: $0, as: UTF8.self) } ?? "\(v)"
                }
            }
            return all
        }
        let a = fields(self), b = fields(other)
        return Set(a.keys).union(b.keys).sorted().compactMap { k in
            a[k] == b[k] ? nil : "\(k): \(a[k] ?? "absent") vs \(b[k] ?? "absent")"
        }
    }

    /// Values of fields that are omitted from the JSON when they keep the v1 behaviour.
    private static let v1Defaults = ["imagePositionEmbedding": "false"]

    /// Checks divisibility and ranges; errors name the field.
    public func validate() throws {
        func fail(_ m: String) -> ModelError { ModelError(.badConfig, m) }
        guard imageSize > 0, imageChannels > 0 else { throw fail("imageSize and imageChannels must be positive") }
        guard !channels.isEmpty, channels.allSatisfy({ $0 > 0 }) else { throw fail("channels must be positive") }
        // Bounds far above any model this project trains: a config read from a file can claim anything, and a
        // claim beyond these would be refused only after trying to allocate it (or, for 64+ levels, divide by 0).
        let limits: [(String, Int, Int)] = [
            ("imageSize", imageSize, 1024), ("imageChannels", imageChannels, 16), ("levels", channels.count, 8),
            ("channels", channels.max() ?? 0, 4096), ("blocksPerLevel", blocksPerLevel, 16),
            ("attentionHeads", attentionHeads, 64), ("groups", groups, 4096), ("textWidth", textWidth, 4096),
            ("textHeads", textHeads, 64), ("textLayers", textLayers, 64), ("maxTokens", maxTokens, 1024),
            ("vocabularySize", vocabularySize, 1 << 20), ("timeFeatures", timeFeatures, 4096),
            ("conditionWidth", conditionWidth, 8192),
        ]
        for (name, value, limit) in limits where value > limit {
            throw fail("\(name) \(value) is beyond the supported \(limit)")
        }
        guard imageSize % (1 << (channels.count - 1)) == 0 else {
            throw fail("imageSize \(imageSize) must be divisible by 2^(levels − 1) = \(1 << (channels.count - 1))")
        }
        guard blocksPerLevel >= 1 else { throw fail("blocksPerLevel must be at least 1") }
        guard groups > 0, channels.allSatisfy({ $0 % groups == 0 }) else {
            throw fail("groups \(groups) must divide every channel count \(channels)")
        }
        guard attentionHeads > 0, channels.allSatisfy({ $0 % attentionHeads == 0 }) else {
            throw fail("attentionHeads \(attentionHeads) must divide every channel count \(channels)")
        }
        guard crossAttentionLevels.allSatisfy({ (0..<channels.count).contains($0) }) else {
            throw fail("crossAttentionLevels \(crossAttentionLevels) must be levels 0..<\(channels.count)")
        }
        guard textWidth > 0, textHeads > 0, textWidth % textHeads == 0 else {
            throw fail("textHeads \(textHeads) must divide textWidth \(textWidth)")
        }
        guard textLayers >= 0, maxTokens > 0, vocabularySize > 0 else {
            throw fail("textLayers, maxTokens and vocabularySize must be positive")
        }
        guard timeFeatures > 0, timeFeatures % 2 == 0, conditionWidth > 0 else {
            throw fail("timeFeatures must be positive and even, conditionWidth positive")
        }
    }
}

/// A model failure with a user-facing message.
public struct ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case badConfig, badInput, badCheckpoint, io
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
