import ArgumentParser
import Foundation
import Model
import Scenes
import Training

extension FlowCPS {
    /// `flowcps pretrain`: trains the base model by flow matching on freshly rendered scenes.
    struct Pretrain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pre-train the flow U-Net on freshly rendered scenes (resumable; deterministic per seed and thread count).",
            discussion: """
            Every --checkpoint-every steps the full state (weights, AdamW moments, EMA, step) is written atomically to \
            --state; rerunning the same command resumes from it. The EMA weights go to --out at the end (or when \
            --minutes runs out); the per-step loss is appended to <state>.loss.csv. --out must not exist unless \
            --force is given (the shipped base model is never overwritten by accident).
            """
        )

        @Option(help: "Model config: standard (v1, the default), v2, tiny, tiny-v2, or a JSON file.")
        var config: String?
        @Option(help: "Start from this checkpoint's weights and config instead of a fresh initialisation (continue pre-training with new options, e.g. --t-location).")
        var from: String?
        @Option(help: "Category mix of the scenes: standard, v2, or category=weight,… (docs/model.md).")
        var mix = "standard"
        @Option(help: "Where the final (EMA) model is written.")
        var out = "models/shapes-base.safetensors"
        @Option(help: "Resumable training state.")
        var state = ".flowcps/pretrain/state.safetensors"
        @Option(help: "Total optimizer steps.")
        var steps = 6000
        @Option(help: "Peak learning rate (linear warm-up, then cosine decay).")
        var lr = 5e-4
        @Option(help: "Warm-up steps.")
        var warmup = 200
        @OptionGroup var loop: TrainingLoopOptions

        func validate() throws {
            try loop.validate(steps: steps, lr: lr, warmup: warmup)
            if from != nil && config != nil {
                throw ValidationError("--from takes the checkpoint's config; leave out --config")
            }
        }

        func run() throws {
            var options = loop.options(steps: steps, lr: lr, warmup: warmup)
            do {
                let m = try CategoryMix(parsing: mix)
                options.mix = m == .standard ? nil : m
            } catch let e as PromptError {
                throw InputError("--mix: \(e.message)")
            }
            let model: FlowUNet
            if let from {
                let (start, step, file) = try Checkpoint.load(path: from, threads: loop.threads)
                model = start
                // The start is part of the run: a state saved from another start is not resumed.
                options.start = file.metadata["flowcps.data_sha256"].map { "sha256:" + $0 } ?? "\(from)@\(step)"
            } else {
                model = try FlowUNet(config: try loadConfig(config ?? "standard"), seed: loop.seed, threads: loop.threads)
            }
            try TrainingLoop.checkTokens(model.config)
            let trainer = try Pretrainer(model: model, options: options)
            try TrainingLoop(trainer: trainer, out: out, state: state, loop: loop,
                             what: "pre-training \(model.parameters.count) parameters")
                .run(metadata: ["flowcps.pretrain.command": CommandLine.arguments.dropFirst().joined(separator: " ")])
        }
    }
}

/// The options `pretrain` and `finetune` share, with the same defaults.
struct TrainingLoopOptions: ParsableArguments {
    @Option(help: "Images per step.")
    var batch = 32
    @Option(help: "Seed of the data stream (and of the initialisation, or the evaluation noise).")
    var seed: UInt64 = 0
    @Option(help: "Threads (the batch is split over them).")
    var threads = 2
    @Option(help: "Steps between state checkpoints.")
    var checkpointEvery = 100
    @Option(help: "Also keep the EMA weights every this many steps as <out>.step<N>.safetensors; 0 = never.")
    var keepEvery = 0
    @Option(help: "Location m of the logit-normal noise levels, t = σ(m + n): 0 as SD3; > 0 trains more at high noise.")
    var tLocation = 0.0
    @Option(help: "Stop (saving state and --out) after this many minutes of this invocation; 0 = no limit.")
    var minutes = 0.0
    @Flag(help: "Overwrite --out if it exists.")
    var force = false

    /// Range checks of these options and of the command's own schedule.
    func validate(steps: Int, lr: Double, warmup: Int) throws {
        if steps < 1 { throw ValidationError("--steps must be at least 1") }
        if batch < 1 || batch > 1024 { throw ValidationError("--batch must be in 1…1024") }
        if !(lr > 0 && lr < 1) { throw ValidationError("--lr must be in (0, 1)") }
        if warmup < 0 { throw ValidationError("--warmup must be at least 0") }
        if threads < 1 || threads > 64 { throw ValidationError("--threads must be in 1…64") }
        if checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be at least 1") }
        if keepEvery < 0 { throw ValidationError("--keep-every must be at least 0") }
        if !(tLocation >= -4 && tLocation <= 4) { throw ValidationError("--t-location must be in -4…4") }
        if !(minutes >= 0 && minutes.isFinite) { throw ValidationError("--minutes must be a finite number ≥ 0") }
    }

    /// Training options with these settings and the command's schedule.
    func options(steps: Int, lr: Double, warmup: Int) -> PretrainOptions {
        var o = PretrainOptions()
        o.seed = seed
        o.steps = steps
        o.batch = batch
        o.learningRate = lr
        o.warmupSteps = warmup
        o.timeLocation = tLocation == 0 ? nil : tLocation
        return o
    }
}

/// The resumable optimisation loop of `pretrain` and `finetune`: resume from --state when it exists, train with a
/// progress line and a loss log, checkpoint the state every `--checkpoint-every` steps (and when time runs out),
/// keep EMA snapshots every `--keep-every` steps, and write the EMA weights to `out` at the end.
struct TrainingLoop {
    let trainer: Pretrainer
    let out: String
    let state: String
    let loop: TrainingLoopOptions
    /// How the start is announced ("pre-training 4065411 parameters").
    let what: String

    /// The model must read every token id and as many tokens as prompts have.
    static func checkTokens(_ c: ModelConfig) throws {
        guard c.vocabularySize >= Vocabulary.tokens.count, c.maxTokens >= Tokenizer.maxTokens else {
            throw InputError("the model config reads \(c.vocabularySize) token ids and \(c.maxTokens) tokens; prompts need \(Vocabulary.tokens.count) ids and up to \(Tokenizer.maxTokens) tokens")
        }
    }

    /// EMA snapshot path of step `step`: models/x.safetensors → models/x.step2000.safetensors.
    static func snapshotPath(_ out: String, step: Int) -> String {
        let base = out.hasSuffix(".safetensors") ? String(out.dropLast(".safetensors".count)) : out
        return "\(base).step\(step).safetensors"
    }

    /// Runs to the end (or the time limit); returns whether all steps are done.
    @discardableResult
    func run(metadata: [String: String]) throws -> Bool {
        let steps = trainer.options.steps, batch = trainer.options.batch
        let lossLog = state + ".loss.csv"
        let resuming = FileManager.default.fileExists(atPath: state)
        if !loop.force, !resuming, FileManager.default.fileExists(atPath: out) {
            throw InputError("\(out) exists; pass --force to overwrite it, or choose another --out")
        }
        if resuming {
            try trainer.restoreState(from: state)
            try LossLog.truncate(lossLog, toSteps: trainer.step)
            print("resuming from \(state) at step \(trainer.step)/\(steps)")
        } else {
            try LossLog.truncate(lossLog, toSteps: 0)
            print("\(what) for \(steps) steps of \(batch) images on \(trainer.model.threads) thread(s)")
        }
        let start = Date()
        var progress = ProgressLine(total: steps, startStep: trainer.step)
        var smoothed: Double?
        var outOfTime = false
        while trainer.step < steps {
            let r = try trainer.trainStep()
            smoothed = smoothed.map { 0.98 * $0 + 0.02 * r.loss } ?? r.loss
            try LossLog.append(lossLog, step: trainer.step, loss: r.loss, gradNorm: Double(r.gradNorm), lr: r.lr)
            progress.update(step: trainer.step, images: batch,
                            text: String(format: "loss %.4f (avg %.4f)  lr %.2e", r.loss, smoothed!, r.lr))
            outOfTime = loop.minutes > 0 && Date().timeIntervalSince(start) > loop.minutes * 60
            if loop.keepEvery > 0, trainer.step % loop.keepEvery == 0 {
                try Checkpoint.save(try trainer.emaModel(), step: trainer.step,
                                    to: Self.snapshotPath(out, step: trainer.step), metadata: metadata)
            }
            if trainer.step % loop.checkpointEvery == 0 || trainer.step == steps || outOfTime {
                try trainer.saveState(to: state)
            }
            if outOfTime { break }
        }
        progress.finish()
        if outOfTime { print("time budget of \(loop.minutes) min reached at step \(trainer.step); rerun to resume") }
        try OutputPath.prepare(out)
        try Checkpoint.save(try trainer.emaModel(), step: trainer.step, to: out, metadata: metadata)
        print("wrote \(out) (EMA weights, step \(trainer.step)); loss log \(lossLog)")
        return trainer.step == steps
    }
}

/// The per-step loss CSV next to the training state.
enum LossLog {
    static func append(_ path: String, step: Int, loss: Double, gradNorm: Double, lr: Double) throws {
        let line = String(format: "%d,%.6f,%.4f,%.3e\n", step, loss, gradNorm, lr)
        guard let h = FileHandle(forWritingAtPath: path) else { throw InputError("cannot append to \(path)") }
        h.seekToEndOfFile()
        h.write(Data(line.utf8))
        h.closeFile()
    }

    /// Keeps the header and the rows of steps ≤ `steps` (a resumed run rewrites what came after its checkpoint).
    static func truncate(_ path: String, toSteps steps: Int) throws {
        try OutputPath.prepare(path)
        var lines = ["step,loss,grad_norm,lr"]
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            lines += text.split(separator: "\n").dropFirst().filter { row in
                (Int(row.split(separator: ",").first ?? "") ?? Int.max) <= steps
            }.map(String.init)
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}
