import ArgumentParser
import Foundation
import Model
import Scenes
import Training

extension FlowCPS {
    /// `flowcps finetune`: the supervised capacity probe. Flow matching on ground-truth renderings of a prompt set,
    /// from a checkpoint, then the usual evaluation on held-out prompts. If supervised training on the exact target
    /// cannot teach a skill, RL cannot either.
    struct Finetune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fine-tune a checkpoint by flow matching on ground-truth renderings of a prompt set, then evaluate it (the capacity probe).",
            discussion: """
            Each training image draws a line of --prompts (optionally only --category lines) and renders it with a \
            fresh random layout, so the model learns the prompts' scenes, not fixed pictures. Resumable like \
            pretrain (--state). At the end the EMA weights go to --out and are evaluated (40-step ODE by default) on \
            the held-out --eval-prompts lines of the trained categories.
            Example: flowcps finetune --model models/shapes-base.safetensors --category position --steps 1000 \
            --out runs/probe-position.safetensors
            """
        )

        @Option(help: "Checkpoint to start from.")
        var model = "models/shapes-base.safetensors"
        @Option(help: "Grow the checkpoint into this config first (v2, a JSON file, …): its tensors are copied, tensors it lacks start fresh.")
        var config: String?
        @Option(help: "Training prompt set (category<TAB>prompt per line).")
        var prompts = "pipelines/prompts/geneval-train.txt"
        @Option(help: "Train only on lines of this category; repeat for several (default: every line).")
        var category: [String] = []
        @Option(help: "Held-out prompt set for the evaluation (default: ocr-eval.txt for text, else geneval-eval.txt).")
        var evalPrompts: String?
        @Option(help: "Images per evaluation line.")
        var evalSamples = 1
        @Option(help: "ODE steps of the evaluation.")
        var evalSteps = 40
        @Flag(help: "Evaluate every category of --eval-prompts, not only the trained ones.")
        var evalAll = false
        @Flag(help: "Skip the evaluation.")
        var noEval = false
        @Option(help: "Where the fine-tuned (EMA) model is written.")
        var out: String
        @Option(help: "Resumable training state (default: <out>.state.safetensors).")
        var state: String?
        @Option(help: "Optimizer steps.")
        var steps = 1000
        @Option(help: "Peak learning rate (linear warm-up, then cosine decay to a tenth).")
        var lr = 2e-4
        @Option(help: "Warm-up steps.")
        var warmup = 50
        @Option(help: "EMA decay of the written weights.")
        var emaDecay = 0.995
        @OptionGroup var loop: TrainingLoopOptions

        func validate() throws {
            try loop.validate(steps: steps, lr: lr, warmup: warmup)
            if !(1...64).contains(evalSamples) { throw ValidationError("--eval-samples must be in 1…64") }
            if !(1...1000).contains(evalSteps) { throw ValidationError("--eval-steps must be in 1…1000") }
            if !(emaDecay >= 0 && emaDecay < 1) { throw ValidationError("--ema-decay must be in [0, 1)") }
        }

        func run() throws {
            let categories = try category.map { name in
                guard let c = PromptCategory(rawValue: name) else {
                    throw InputError("--category \(name): not one of \(PromptCategory.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return c
            }
            let lines = try PromptSets.load(path: prompts).filter { categories.isEmpty || categories.contains($0.category) }
            guard !lines.isEmpty else { throw InputError("\(prompts): no lines of categories \(category.joined(separator: ", "))") }
            var options = loop.options(steps: steps, lr: lr, warmup: warmup)
            options.minimumLearningRate = lr / 10
            options.emaDecay = emaDecay
            options.scenes = lines.map(\.prompt)
            var (start, startStep, file) = try Checkpoint.load(path: model, threads: loop.threads)
            if let config {
                let grown = try FlowUNet(config: try loadConfig(config), seed: loop.seed, threads: loop.threads)
                let fresh = try Checkpoint.fillGrowing(grown.parameters, layout: grown.layout, from: file, name: model)
                print("grew \(model) into \(config): \(fresh.count) new tensors start fresh (\(fresh.prefix(4).joined(separator: ", "))\(fresh.count > 4 ? ", …" : ""))")
                start = grown
            }
            try TrainingLoop.checkTokens(start.config)
            let trainer = try Pretrainer(model: start, options: options)
            let trained = Set(lines.map(\.category))
            let done = try TrainingLoop(trainer: trainer, out: out, state: state ?? out + ".state.safetensors",
                                        loop: loop, what: "fine-tuning \(model) (step \(startStep)) on \(lines.count) lines of \(prompts) (\(trained.map(\.rawValue).sorted().joined(separator: ", ")))")
                .run(metadata: ["flowcps.finetune.command": CommandLine.arguments.dropFirst().joined(separator: " "),
                                "flowcps.finetune.from": model, "flowcps.finetune.grown": config ?? ""])
            guard done, !noEval else { return }
            let evalPath = evalPrompts ?? (trained == [.text] ? "pipelines/prompts/ocr-eval.txt" : "pipelines/prompts/geneval-eval.txt")
            let entries = try PromptSets.load(path: evalPath).filter { evalAll || trained.contains($0.category) }
            guard !entries.isEmpty else { throw InputError("\(evalPath): no lines of the trained categories") }
            let (tuned, _, _) = try Checkpoint.load(path: out, threads: loop.threads)
            let config = try SamplerOptions.ode(steps: evalSteps)
            let report = try Evaluation.run(model: tuned, entries: entries, config: config, guidance: 1, seed: loop.seed,
                                            samplesPerLine: evalSamples)
            print("evaluation of \(out) on \(evalPath): ODE \(evalSteps) steps, \(report.images.count) images")
            EvaluationTable.print(report)
        }
    }
}
