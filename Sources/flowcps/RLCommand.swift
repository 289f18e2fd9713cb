import ArgumentParser
import Foundation
import Model
import Pipeline
import Scenes
import Training

extension FlowCPS {
    /// `flowcps rl`: a GRPO run in this process (the stage functions composed without the database), with a run
    /// folder of CSV logs, evaluations and resumable checkpoints.
    struct RL: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rl",
            abstract: "Run GRPO in this process from a run file: plan → rollout → score → advantage → train, periodic eval.",
            discussion: """
            Writes to the run folder: config.yaml (every option, resolved), steps.csv (one row per RL step: rewards, \
            advantage statistics, objective metrics, seconds per stage), eval.csv (per-category strict accuracy), \
            state.safetensors (policy, AdamW moments, EMA: resume with --resume), policy.safetensors (the weights \
            evaluation uses) and policy-<step>.safetensors every checkpoint_every steps.
            Example: flowcps rl --config pipelines/geneval-cps.yaml --set train.lr=2e-5 --set steps=20
            """
        )

        @Option(help: "Run file (YAML).")
        var config = "pipelines/geneval-cps.yaml"
        @Option(name: .customLong("set"), help: "Override a field: --set train.lr=2e-5 (repeatable; the value is YAML).")
        var overrides: [String] = []
        @Option(help: "Run folder (default: runs/<name>).")
        var out: String?
        @Flag(help: "Continue the run in --out from its state.safetensors.")
        var resume = false
        @Flag(help: "Skip the evaluation before the first step.")
        var noInitialEval = false

        func run() throws {
            let c = try RunConfigFile.load(path: config, overrides: overrides)
            let folder = out ?? "runs/\(c.name)"
            let fm = FileManager.default
            let statePath = folder + "/state.safetensors"
            if fm.fileExists(atPath: statePath), !resume {
                throw InputError("\(folder) already holds a run; pass --resume to continue it or choose another --out")
            }
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let (base, _, _) = try Checkpoint.load(path: c.model.base, threads: c.model.threads)
            let trainSet = try PromptSets.load(path: c.prompts.train)
            let evalSet = c.eval.every > 0 ? try PromptSets.load(path: c.prompts.eval) : []
            let run = try RLRun(config: c, base: base, trainSet: trainSet, evalSet: evalSet)
            if resume, fm.fileExists(atPath: statePath) {
                try run.state.restore(from: statePath, config: c)
                print("resumed \(folder) at step \(run.state.completedSteps)")
            }
            try RunConfigFile.encode(c).write(toFile: folder + "/config.yaml", atomically: true, encoding: .utf8)
            let first = run.state.completedSteps
            var steps = try CSVLog(path: folder + "/steps.csv", header: StepRow.header(c), keepingRowsBelow: first)
            var evals = try CSVLog(path: folder + "/eval.csv", header: EvalRow.header, keepingRowsBelow: first > 0 ? first + 1 : 0)
            print("\(c.name): \(c.sampler.kind)(\(c.sampler.noise)) \(c.sampler.steps) steps, \(c.group.promptsPerStep) prompts × \(c.group.size), lr \(c.train.lr), β \(c.train.beta); \(folder)")

            func evaluate(_ step: Int) throws {
                let start = Date()
                let report = try run.evaluate()
                try evals.append(EvalRow.cells(step: step, report: report))
                let cats = PromptCategory.allCases.compactMap { k in
                    report.categories[k].map { "\(k.rawValue) \(String(format: "%.3f", $0.strict))" }
                }
                print(String(format: "eval step %d: strict %.3f, accuracy %.3f (%.0f s) — ", step, report.overallStrict,
                             report.overallAccuracy, Date().timeIntervalSince(start)) + cats.joined(separator: ", "))
                fflush(nil)
            }
            if c.eval.every > 0, first == 0, !noInitialEval { try evaluate(0) }
            while run.state.completedSteps < c.steps {
                let r = try run.step()
                let k = r.step + 1
                try steps.append(StepRow.cells(r))
                try run.state.save(to: statePath, config: c)
                let t = r.times
                print(String(format: "step %d/%d reward %.3f zero-std %.2f loss %.4f kl %.2e clip %.3f ratio %.4f…%.4f grad %.3f  %.1f s (rollout %.1f, score %.2f, train %.1f)",
                             k, c.steps, r.rewardMean, r.advantages.batch.zeroStdRatio, r.train.all.loss, r.train.all.kl,
                             r.train.all.clipFraction, r.train.all.ratioMin, r.train.all.ratioMax,
                             r.train.gradNorms.max() ?? 0, t.total, t.rollout, t.score, t.train))
                fflush(nil)  // the line reaches a log file now, not at exit
                if c.checkpointEvery > 0, k % c.checkpointEvery == 0 {
                    try Checkpoint.save(try run.state.evaluationModel(), step: k, to: folder + "/policy-\(k).safetensors")
                }
                if c.eval.every > 0, k % c.eval.every == 0 || k == c.steps { try evaluate(k) }
            }
            try Checkpoint.save(try run.state.evaluationModel(), step: run.state.completedSteps,
                                to: folder + "/policy.safetensors")
            print("wrote \(folder)/policy.safetensors, steps.csv, eval.csv")
        }
    }
}

/// An append-only CSV file; on resume it keeps the rows of steps already done (first column < a bound).
struct CSVLog {
    let path: String
    private let handle: FileHandle

    init(path: String, header: [String], keepingRowsBelow bound: Int) throws {
        self.path = path
        var lines = [header.joined(separator: ",")]
        if bound > 0, let text = try? String(contentsOfFile: path, encoding: .utf8) {
            lines += text.split(separator: "\n").dropFirst().filter { line in
                Int(line.prefix { $0 != "," }).map { $0 < bound } ?? false
            }.map(String.init)
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        guard let h = FileHandle(forWritingAtPath: path) else { throw InputError("cannot append to \(path)") }
        h.seekToEndOfFile()
        handle = h
    }

    mutating func append(_ cells: [String]) throws {
        handle.write(Data((cells.joined(separator: ",") + "\n").utf8))
    }
}

/// The columns of steps.csv.
enum StepRow {
    static func header(_ c: RunConfig) -> [String] {
        ["step", "reward_mean", "reward_std"] + c.rewards.map { "reward_\($0.name)" }
            + ["zero_std_ratio", "reward_std_mean", "loss", "policy_loss", "kl", "approx_kl", "clip_fraction",
               "ratio_mean", "ratio_min", "ratio_max", "first_ratio_min", "first_ratio_max", "grad_norm", "lr",
               "trained_samples", "skipped_samples", "seconds_plan", "seconds_rollout", "seconds_score",
               "seconds_advantage", "seconds_train"]
    }

    static func cells(_ r: StepReport) -> [String] {
        let m = r.train.all, f = r.train.firstMiniBatch, b = r.advantages.batch, t = r.times
        let g = r.train.gradNorms.isEmpty ? 0 : r.train.gradNorms.reduce(0, +) / Double(r.train.gradNorms.count)
        let values: [Double] = [b.rewardMean, b.rewardStd] + r.rewardMeans.map(\.value)
            + [b.zeroStdRatio, b.rewardStdMean, m.loss, m.policyLoss, m.kl, m.approxKL, m.clipFraction, m.ratioMean,
               m.terms > 0 ? m.ratioMin : 1, m.terms > 0 ? m.ratioMax : 1, f.terms > 0 ? f.ratioMin : 1,
               f.terms > 0 ? f.ratioMax : 1, g, r.train.learningRate, Double(r.train.trainedSamples),
               Double(r.train.skippedSamples), t.plan, t.rollout, t.score, t.advantage, t.train]
        return [String(r.step)] + values.map { "\($0)" }
    }
}

/// The columns of eval.csv (step = RL steps done when evaluated).
enum EvalRow {
    static let header = ["step", "strict", "accuracy"] + PromptCategory.allCases.map { "strict_\($0.rawValue)" }

    static func cells(step: Int, report: EvaluationReport) -> [String] {
        [String(step), "\(report.overallStrict)", "\(report.overallAccuracy)"]
            + PromptCategory.allCases.map { k in report.categories[k].map { "\($0.strict)" } ?? "" }
    }
}
