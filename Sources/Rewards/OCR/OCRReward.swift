import Scenes

/// `ocr`: text rendering (Flow-GRPO's OCR reward, `flow_grpo/ocr.py`, with the built-in font's reader in place of
/// PaddleOCR). Target = the quoted text; recognised and target text have spaces removed and are lower-cased; if the
/// target is a substring of what was read the distance is 0, else the edit distance capped at the target length.
/// Value 1 − distance/length; details: `strict` (read exactly the target), `length` (characters read).
public struct OCRReward: Reward {
    public init() {}

    public var name: String { "ocr" }
    public var range: ClosedRange<Double> { 0...1 }

    public func unsupported(_ spec: SceneSpec) -> String? {
        if case .text = spec { return nil }
        return "ocr scores text prompts ('the text \"...\"') only"
    }

    public func score(_ input: RewardInput) throws -> RewardScore {
        guard case let .text(target) = input.spec else {
            throw RewardError(.badPrompt, "ocr scores text prompts ('the text \"...\"'), not \"\(input.prompt)\"")
        }
        let read = GlyphReader.read(input.image)
        return RewardScore(value: Self.score(read: read, target: target),
                           details: ["strict": read == target ? 1 : 0, "length": Double(read.count)])
    }

    /// Flow-GRPO's rule on already-recognised text.
    public static func score(read: String, target: String) -> Double {
        let t = target.replacingOccurrences(of: " ", with: "").lowercased()
        let r = read.replacingOccurrences(of: " ", with: "").lowercased()
        guard !t.isEmpty else { return 0 }
        let distance = r.contains(t) ? 0 : min(levenshtein(r, t), t.count)
        return 1 - Double(distance) / Double(t.count)
    }
}
