import Imaging
import Scenes

/// A reward's verdict on one image: the value used for training plus named sub-scores (all finite).
public struct RewardScore: Sendable, Equatable {
    /// The reward's value.
    public var value: Double
    /// Named sub-scores, e.g. geneval's `strict` and `accuracy`.
    public var details: [String: Double]

    public init(value: Double, details: [String: Double] = [:]) {
        self.value = value
        self.details = details
    }
}

/// What a reward looks at: the image and the prompt it was generated for (parsed once).
public struct RewardInput: Sendable {
    public let image: RGBImage
    public let prompt: String
    public let spec: SceneSpec
    /// Image side divided by the 32 px world canvas (1 for 32×32, 2 for 64×64).
    public let scale: Int

    /// Checks the image (square, side a positive multiple of 32) and parses the prompt.
    public init(image: RGBImage, prompt: String) throws {
        guard image.width == image.height, image.width >= 32, image.width % 32 == 0 else {
            throw RewardError(.badImage,
                              "image is \(image.width)×\(image.height); rewards score square images whose side is a multiple of 32")
        }
        do {
            spec = try PromptParser.parse(prompt)
        } catch let e as PromptError {
            throw RewardError(.badPrompt, e.message)
        }
        self.image = image
        self.prompt = prompt
        self.scale = image.width / 32
    }
}

/// A named scoring function over (image, prompt), with its documented range.
public protocol Reward: Sendable {
    /// The name used in pipeline files and on the command line.
    var name: String { get }
    /// Values the reward can take; anything outside is a bug and fails the job.
    var range: ClosedRange<Double> { get }
    /// Scores one image.
    func score(_ input: RewardInput) throws -> RewardScore
    /// Why this reward cannot score images of `spec` (nil: it can). Checked for every train prompt when a run is
    /// submitted, so a reward that does not fit the prompts is refused before any rollout runs.
    func unsupported(_ spec: SceneSpec) -> String?
}

extension Reward {
    /// Every prompt kind, unless the reward says otherwise.
    public func unsupported(_ spec: SceneSpec) -> String? { nil }
}
