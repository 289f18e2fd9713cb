import Foundation
import GRPO
import Pipeline
import Sampling
import Testing
import Training

private func error(_ yaml: String) -> ConfigError? {
    do {
        _ = try RunConfigFile.decode(yaml: yaml)
        return nil
    } catch let e as ConfigError {
        return e
    } catch {
        Issue.record("not a ConfigError: \(error)")
        return nil
    }
}

@Suite struct RunConfigFileTests {
    @Test func anEmptyFileGivesTheDefaults() throws {
        #expect(try RunConfigFile.decode(yaml: "") == RunConfig())
        #expect(try RunConfigFile.decode(yaml: "# nothing\n") == RunConfig())
    }

    @Test func everyFieldIsRead() throws {
        let yaml = """
        name: cps-search.1
        seed: 42
        steps: 50
        checkpoint_every: 10
        model: {base: models/x.safetensors, threads: 1}
        prompts: {train: a.txt, eval: b.txt}
        sampler:
          kind: flow-sde
          noise: 0.8
          steps: 8
          grid: linspace
          shift: 2.5
          guidance: 3
          log_prob: exact
          sde_window: [1, 4]
          shared_initial_noise: yes
        group: {size: 6, prompts_per_step: 12, prompts_per_shard: 4}
        rewards: {geneval: 1, compressibility: 0.25}
        advantage: {std: group, clip: 3}
        train:
          lr: 2e-5
          schedule: cosine
          warmup_steps: 5
          min_lr: 1e-6
          weight_decay: 0
          adam_epsilon: 1e-4
          grad_clip: 0.5
          clip_range: 0.001
          beta: 0.04
          kl_form: cps
          mini_batches: 4
          timesteps: stochastic
          timestep_fraction: 0.5
          cfg: true
        ema: {enabled: true, decay: 0.95, every: 2}
        eval: {every: 5, steps: 28, grid: linspace, shift: 1, guidance: 2, seed: 9, prompt_stride: 3}
        """
        let c = try RunConfigFile.decode(yaml: yaml)
        #expect(c.name == "cps-search.1" && c.seed == 42 && c.steps == 50 && c.checkpointEvery == 10)
        #expect(c.model.base == "models/x.safetensors" && c.model.threads == 1)
        #expect(c.prompts.train == "a.txt" && c.prompts.eval == "b.txt")
        #expect(c.sampler.kind == .flowSDE && c.sampler.noise == 0.8 && c.sampler.steps == 8 && c.sampler.grid == .linspace)
        #expect(c.sampler.shift == 2.5 && c.sampler.guidance == 3 && c.sampler.logProb == .exact)
        #expect(c.sampler.sdeWindow == 1..<4 && c.sampler.sharedInitialNoise)
        #expect(c.group.size == 6 && c.group.promptsPerStep == 12 && c.group.promptsPerShard == 4)
        #expect(c.rewards == [RewardWeight(name: "geneval", weight: 1), RewardWeight(name: "compressibility", weight: 0.25)])
        #expect(c.advantage.std == .group && c.advantage.clip == 3)
        #expect(c.train.lr == 2e-5 && c.train.schedule == .cosine && c.train.warmupSteps == 5 && c.train.minLR == 1e-6)
        #expect(c.train.weightDecay == 0 && c.train.adamEpsilon == 1e-4 && c.train.gradClip == 0.5 && c.train.clipRange == 0.001 && c.train.beta == 0.04)
        #expect(c.train.klForm == .cps && c.train.miniBatches == 4 && c.train.timesteps == .stochastic)
        #expect(c.train.timestepFraction == 0.5 && c.train.cfg)
        #expect(c.ema.enabled && c.ema.decay == 0.95 && c.ema.every == 2)
        #expect(c.eval.every == 5 && c.eval.steps == 28 && c.eval.grid == .linspace && c.eval.shift == 1)
        #expect(c.eval.guidance == 2 && c.eval.seed == 9 && c.eval.promptStride == 3)
        #expect(try RunConfigFile.decode(yaml: RunConfigFile.encode(c)) == c, "encode does not read back")
        #expect(try RunConfigFile.decode(yaml: RunConfigFile.encode(RunConfig())) == RunConfig())
    }

    @Test(arguments: [
        ("trian: {lr: 1e-5}", "trian", "unknown field"),
        ("train: {lr: 1e-5, lrr: 2}", "train.lrr", "unknown field"),
        ("train: {lr: fast}", "train.lr", "expected a number"),
        ("train: {lr: \"1e-5\"}", "train.lr", "expected a number"),
        ("train: {lr: 0}", "train.lr", "(0, 1]"),
        ("train: {lr: null}", "train.lr", "null"),
        ("train: {mini_batches: 2.5}", "train.mini_batches", "expected an integer"),
        ("train: {cfg: maybe}", "train.cfg", "true or false"),
        ("train: {timesteps: some}", "train.timesteps", "first, random, stochastic"),
        ("train: {timestep_fraction: 1.5}", "train.timestep_fraction", "(0, 1]"),
        ("train: {clip_range: -1}", "train.clip_range", "(0, 1)"),
        ("train: {beta: -0.1}", "train.beta", "≥ 0"),
        ("train: {adam_epsilon: 0}", "train.adam_epsilon", "(0, 1)"),
        ("train: 3", "train", "expected a mapping"),
        ("seed: -1", "seed", "non-negative integer"),
        ("steps: 0", "steps", "1…100000"),
        ("name: \"a/b\"", "name", "without '/'"),
        ("name: \"..\"", "name", "printable"),
        ("sampler: {kind: ode}", "sampler.kind", "GRPO needs stochastic steps"),
        ("sampler: {kind: cps, noise: 0}", "sampler.noise", "deterministic rollouts, which only train.objective nft"),
        ("sampler: {kind: cps, noise: 1.5}", "sampler.noise", "[0, 1]"),
        ("sampler: {sde_window: [3, 2]}", "sampler.sde_window", "below end"),
        ("sampler: {sde_window: [0, 11]}", "sampler.sde_window", "≤ sampler.steps"),
        ("sampler: {sde_window: 3}", "sampler.sde_window", "[start, end]"),
        ("sampler: {guidance: 3}", "train.cfg", "must be true"),
        ("sampler: {grid: cosine}", "sampler.grid", "sd3, linspace, dance"),
        ("group: {size: 1}", "group.size", "2…256"),
        ("group: {prompts_per_step: 4, prompts_per_shard: 5}", "group.prompts_per_shard", "1…group.prompts_per_step"),
        ("rewards: {pickscore: 1}", "rewards.pickscore", "unknown reward"),
        ("rewards: {geneval: 0}", "rewards.geneval", "nonzero"),
        ("rewards: [geneval]", "rewards", "expected a mapping"),
        ("rewards:", "rewards", "at least one"),
        ("advantage: {std: batch}", "advantage.std", "global, group"),
        ("ema: {decay: 1}", "ema.decay", "(0, 1)"),
        ("eval: {steps: 5}", "eval.steps", "at least sampler.steps"),
        ("eval: {every: -1}", "eval.every", "≥ 0"),
        ("model: {threads: 0}", "model.threads", "1…64"),
    ] as [(String, String, String)])
    func badFieldsAreErrorsNamingTheField(yaml: String, field: String, message: String) {
        guard let e = error(yaml) else {
            Issue.record("accepted: \(yaml)")
            return
        }
        #expect(e.field == field, "\(yaml) → \(e)")
        #expect(e.message.contains(message), "\(yaml) → \(e)")
    }

    @Test func overridesReplaceAndAddFields() throws {
        let c = try RunConfigFile.decode(yaml: "train: {lr: 1e-5}\nsampler: {kind: cps}",
                                         overrides: ["train.lr=3e-5", "train.beta=0.02", "ema.enabled=true",
                                                     "sampler.sde_window=[0, 3]", "rewards={compressibility: 1}"])
        #expect(c.train.lr == 3e-5 && c.train.beta == 0.02 && c.ema.enabled && c.sampler.sdeWindow == 0..<3)
        #expect(c.rewards == [RewardWeight(name: "compressibility", weight: 1)])
        do {
            _ = try RunConfigFile.decode(yaml: "", overrides: ["train.lrr=1"])
            Issue.record("an unknown overridden field was accepted")
        } catch let e as ConfigError {
            #expect(e.field == "train.lrr" && e.message.contains("unknown field") && e.message.contains("lr, schedule"))
        }
        #expect(throws: ConfigError.self) { try RunConfigFile.decode(yaml: "", overrides: ["lr"]) }
    }

    @Test func malformedYAMLIsAnError() {
        let e = error("train: {lr: 1e-5\n  steps: [")
        #expect(e?.field == "" && e?.message.contains("not valid YAML") == true, "\(String(describing: e))")
        #expect(error("- 1\n- 2")?.message.contains("expected a mapping") == true)
        #expect(error("steps: 5\nsteps: 6")?.message.contains("duplicated key(s): 'steps'") == true)
    }

    @Test func theShippedRunFilesDecode() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../pipelines")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }
        #expect(!files.isEmpty)
        for f in files {
            let c = try RunConfigFile.load(path: dir.appendingPathComponent(f).path)
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("..").appendingPathComponent(c.prompts.train).path), "\(f)")
        }
    }
}
