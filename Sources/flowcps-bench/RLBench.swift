import ArgumentParser
import Foundation
import Model
import Scenes
import Training

extension Bench {
    /// Seconds per RL step by stage, and the rollout's and training's images/s against the model's own.
    struct RLStep: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rl",
            abstract: "Seconds per GRPO step by stage on a run file, and rollout/train images/s relative to the bare model.",
            discussion: """
            Measures, in one process: the model's forward images/s at batch 64 and forward+backward at batch 32
            (as `flowcps-bench model`), then --steps RL steps of the run file (no evaluation). Rollout images/s
            counts model evaluations (samples × sampler steps, ×2 with guidance); train images/s counts trained
            (sample, timestep) terms, each a forward and a backward pass (plus a reference forward when β > 0).
            """
        )

        @Option(help: "Run file (YAML).")
        var config = "pipelines/geneval-cps.yaml"
        @Option(name: .customLong("set"), help: "Override a field (repeatable), as in `flowcps rl`.")
        var overrides: [String] = []
        @Option(help: "RL steps to time (the first is included: it warms nothing up that later steps reuse).")
        var steps = 3
        @Option(help: "Timed repetitions of each model measurement; the best is reported.")
        var repeats = 3
        @Flag(help: "Print one JSON object.")
        var json = false

        func validate() throws {
            if steps < 1 { throw ValidationError("--steps must be at least 1") }
            if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
        }

        func run() throws {
            let c = try RunConfigFile.load(path: config, overrides: overrides + ["eval.every=0"])
            let (base, _, _) = try Checkpoint.load(path: c.model.base, threads: c.model.threads)
            let forward = try modelImagesPerSecond(base, batch: 64, backward: false, repeats: repeats)
            let both = try modelImagesPerSecond(base, batch: 32, backward: true, repeats: repeats)
            let run = try RLRun(config: c, base: base, trainSet: try PromptSets.load(path: c.prompts.train), evalSet: [])
            var times = StageTimes()
            var evaluations = 0, terms = 0
            let guidanceFactor = c.sampler.guidance == 1 ? 1 : 2
            for _ in 0..<steps {
                let r = try run.step()
                times.plan += r.times.plan
                times.rollout += r.times.rollout
                times.score += r.times.score
                times.advantage += r.times.advantage
                times.train += r.times.train
                evaluations += r.scores.count * c.sampler.steps * guidanceFactor
                terms += r.train.all.terms * (c.train.cfg ? 2 : 1)
                if !json {
                    print(String(format: "step %d: %.2f s (plan %.3f, rollout %.2f, score %.3f, advantage %.4f, train %.2f)",
                                 r.step + 1, r.times.total, r.times.plan, r.times.rollout, r.times.score,
                                 r.times.advantage, r.times.train))
                }
            }
            let n = Double(steps)
            let rolloutRate = Double(evaluations) / times.rollout, trainRate = Double(terms) / times.train
            if json {
                let o: [String: Any] = [
                    "config": config, "steps": steps, "threads": c.model.threads,
                    "seconds_per_step": times.total / n, "plan": times.plan / n, "rollout": times.rollout / n,
                    "score": times.score / n, "advantage": times.advantage / n, "train": times.train / n,
                    "model_forward_img_s": forward, "model_forward_backward_img_s": both,
                    "rollout_img_s": rolloutRate, "train_img_s": trainRate,
                    "rollout_vs_model": rolloutRate / forward, "train_vs_model": trainRate / both,
                    "model_evaluations_per_step": Double(evaluations) / n, "trained_terms_per_step": Double(terms) / n,
                ]
                print(String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self))
                return
            }
            print(String(format: "%@: %d prompts × %d, %@ %d steps, %d threads; mean of %d steps",
                         c.name, c.group.promptsPerStep, c.group.size, c.sampler.kind.rawValue, c.sampler.steps, c.model.threads, steps))
            print(String(format: "seconds per RL step %.2f: plan %.3f, rollout %.2f, score %.3f, advantage %.4f, train %.2f",
                         times.total / n, times.plan / n, times.rollout / n, times.score / n, times.advantage / n, times.train / n))
            print(String(format: "per step: %.0f model evaluations in the rollout, %.0f trained (sample, timestep) terms",
                         Double(evaluations) / n, Double(terms) / n))
            print(String(format: "rollout %.1f img/s = %.2f × model forward (%.1f img/s, batch 64)", rolloutRate,
                         rolloutRate / forward, forward))
            print(String(format: "train   %.1f img/s = %.2f × model forward+backward (%.1f img/s, batch 32)", trainRate,
                         trainRate / both, both))
        }
    }
}
