import ArgumentParser
import Foundation
import Imaging
import Model
import Sampling
import Scenes
import Training

/// Sampler options shared by commands that generate images.
struct SamplerOptions: ParsableArguments {
    @Option(help: "Sampler: ode, cps, flow-sde, dance-sde.")
    var sampler = "ode"
    @Option(help: "Noise parameter: η for cps and dance-sde, a for flow-sde (ignored by ode).")
    var noise = 0.7
    @Option(help: "Denoising steps.")
    var steps = 40
    @Option(help: "Time grid: sd3 or linspace.")
    var grid = "sd3"
    @Option(help: "Time shift of the grid.")
    var shift = 3.0
    @Option(help: "Classifier-free guidance scale (1 = none).")
    var guidance = 1.0

    /// The deterministic evaluation sampler: ODE on the SD3 grid with shift 3.
    static func ode(steps: Int) throws -> SamplerConfig {
        do {
            return try SamplerConfig(kind: .ode, grid: TimeGrid(.sd3, steps: steps, shift: 3))
        } catch let e as SamplingError {
            throw InputError(e.message)
        }
    }

    func config() throws -> SamplerConfig {
        do {
            guard let kind = TimeGrid.Kind(rawValue: grid) else { throw InputError("unknown grid \"\(grid)\"") }
            let k = sampler == "ode" ? SamplerKind.ode : try SamplerKind(name: sampler, noise: noise)
            guard guidance.isFinite, guidance >= 0 else { throw InputError("--guidance must be a non-negative number") }
            return try SamplerConfig(kind: k, grid: TimeGrid(kind, steps: steps, shift: shift))
        } catch let e as SamplingError {
            throw InputError(e.message)
        }
    }
}

/// The checkpoint, seed and threads of commands that run a model.
struct ModelRunOptions: ParsableArguments {
    @Option(help: "Model checkpoint (.safetensors).")
    var model = "models/shapes-base.safetensors"
    @Option(help: "Seed of the sampling noise.")
    var seed: UInt64 = 0
    @Option(help: "Threads.")
    var threads = 2
}

extension FlowCPS {
    /// `flowcps sample`: images from a checkpoint.
    struct Sample: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a grid of images from a model checkpoint (rows: prompts, columns: samples).",
            discussion: "Example: flowcps sample --model models/shapes-base.safetensors --prompt \"two red circles\" --n 8 --out grid.png"
        )

        @OptionGroup var modelRun: ModelRunOptions
        @Option(help: "A prompt; repeat for several rows.")
        var prompt: [String] = []
        @Option(help: "Samples per prompt.")
        var n = 8
        @OptionGroup var samplerOptions: SamplerOptions
        @Option(help: "Output PNG.")
        var out: String

        func validate() throws {
            if prompt.isEmpty { throw ValidationError("give at least one --prompt") }
            if !(1...256).contains(n) { throw ValidationError("--n must be in 1…256") }
        }

        func run() throws {
            let config = try samplerOptions.config()
            for p in prompt { _ = try PromptParser.parse(p) }
            let (m, step, _) = try Checkpoint.load(path: modelRun.model, threads: modelRun.threads)
            var prompts: [String] = [], keys: [SampleKey] = []
            for (i, p) in prompt.enumerated() {
                for j in 0..<n {
                    prompts.append(p)
                    keys.append(SampleKey(seed: modelRun.seed, step: 0, prompt: i, sample: j))
                }
            }
            let images = try Generation.images(model: m, prompts: prompts, keys: keys, config: config,
                                               guidance: samplerOptions.guidance)
            let rows = prompt.enumerated().map { i, p in
                GridRow(caption: p, images: Array(images[(i * n)..<((i + 1) * n)]))
            }
            try OutputPath.prepare(out)
            try PNGCodec.write(ImageGrid.render(rows), to: out)
            print("wrote \(out): \(prompt.count) prompt(s) × \(n) samples, \(config.kind) \(config.grid.steps) steps, guidance \(samplerOptions.guidance), model step \(step)")
        }
    }
}
