import ArgumentParser
import Foundation
import Model
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
            Writes the run folder as `run export` writes a pipeline run: config.yaml (every option, resolved), \
            metrics.csv (step,name,value: the same metrics the pipeline records), eval.csv and eval/step-K/*.png \
            (every evaluation image with its scores), state.safetensors (policy, AdamW moments, EMA: continue with \
            --resume), policy-K.safetensors (the evaluation weights every checkpoint_every steps and at the end) and \
            policy.safetensors. `flowcps report DIR` reads the folder.
            Example: flowcps rl pipelines/geneval-cps.yaml --set train.lr=2e-5 --set steps=20
            """
        )

        @Argument(help: "Run file (YAML), as for `run submit`.")
        var file: String
        @Option(name: .customLong("set"), help: "Override a field: --set train.lr=2e-5 (repeatable; the value is YAML).")
        var overrides: [String] = []
        @Option(help: "Run folder (default: runs/<name>).")
        var out: String?
        @Flag(help: "Continue the run in --out from its state.safetensors.")
        var resume = false
        @Flag(help: "Skip the evaluation before the first step.")
        var noInitialEval = false

        func run() throws {
            let c = try RunConfigFile.load(path: file, overrides: overrides)
            var folder = RunFolder(path: out ?? "runs/\(c.name)")
            let fm = FileManager.default
            if fm.fileExists(atPath: folder.statePath), !resume {
                throw InputError("\(folder.path) already holds a run; pass --resume to continue it or choose another --out")
            }
            try fm.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
            let (base, _, _) = try Checkpoint.load(path: c.model.base, threads: c.model.threads)
            let trainSet = try PromptSets.load(path: c.prompts.train)
            let evalSet = c.eval.every > 0 ? try PromptSets.load(path: c.prompts.eval) : []
            let run = try RLRun(config: c, base: base, trainSet: trainSet, evalSet: evalSet)
            if resume, fm.fileExists(atPath: folder.statePath) {
                try run.state.restore(from: folder.statePath, config: c)
                print("resumed \(folder.path) at step \(run.state.completedSteps)")
            }
            try RunConfigFile.encode(c).write(toFile: folder.configPath, atomically: true, encoding: .utf8)
            let first = run.state.completedSteps
            try folder.open(completedSteps: first)
            print("\(c.name): \(c.sampler.kind)(\(c.sampler.noise)) \(c.sampler.steps) steps, \(c.group.promptsPerStep) prompts × \(c.group.size), lr \(c.train.lr), β \(c.train.beta); \(folder.path)")

            func evaluate(_ step: Int) throws {
                let start = DispatchTime.now().uptimeNanoseconds
                let images = try run.evaluationImages()
                try folder.appendEvaluation(images, step: step)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                folder.append([NamedValue(name: RunMetrics.seconds("eval"), value: seconds)], step: step)
                let report = Evaluation.report(images.map(\.sample))
                let cats = PromptCategory.allCases.compactMap { k in
                    report.categories[k].map { "\(k.rawValue) \(String(format: "%.3f", $0.strict))" }
                }
                print(String(format: "eval step %d: strict %.3f ± %.3f, accuracy %.3f (%.0f s) — ", step,
                             report.overallStrict, report.overallStrictStandardError, report.overallAccuracy, seconds)
                      + cats.joined(separator: ", "))
            }
            // An evaluation due now and not yet written (a fresh run, or one killed before its evaluation).
            if c.evaluates(at: first, evalPrompts: evalSet.count), !(first == 0 && noInitialEval),
               !(try folder.hasEvaluation(at: first)) {
                try evaluate(first)
            }
            while run.state.completedSteps < c.steps {
                let r = try run.step()
                let k = r.step + 1
                let t = r.times
                folder.append(RunMetrics.rewards(r.advantages.batch, scores: r.scores) + RunMetrics.train(r.train)
                              + [("plan", t.plan), ("rollout", t.rollout), ("score", t.score), ("advantage", t.advantage),
                                 ("train", t.train)].map { NamedValue(name: RunMetrics.seconds($0.0), value: $0.1) },
                              step: r.step)
                try run.state.save(to: folder.statePath, config: c)
                print(String(format: "step %d/%d reward %.3f zero-std %.2f loss %.4f kl %.2e clip %.3f ratio %.4f…%.4f grad %.3f  %.1f s (rollout %.1f, score %.2f, train %.1f)",
                             k, c.steps, r.rewardMean, r.advantages.batch.zeroStdRatio, r.train.all.loss, r.train.all.kl,
                             r.train.all.clipFraction, r.train.all.ratioMin, r.train.all.ratioMax,
                             r.train.gradNorms.max() ?? 0, t.total, t.rollout, t.score, t.train))
                if c.keepsCheckpoint(at: k) {
                    try Checkpoint.save(try run.state.evaluationModel(), step: k, to: folder.checkpointPath(step: k))
                }
                if c.evaluates(at: k, evalPrompts: evalSet.count) { try evaluate(k) }
            }
            try Checkpoint.save(try run.state.evaluationModel(), step: run.state.completedSteps, to: folder.policyPath)
            print("wrote \(folder.policyPath), metrics.csv, eval.csv (report: flowcps report \(folder.path))")
        }
    }
}
