import Rewards
import Sampling

/// The training sampler of a run: a stochastic one (the rollouts need log-probabilities).
public enum RolloutSamplerName: String, Sendable, CaseIterable, CustomStringConvertible {
    case cps
    case flowSDE = "flow-sde"
    case danceSDE = "dance-sde"

    /// The name as the run file writes it (also what the run's identity prints).
    public var description: String { rawValue }
}

extension RunConfig {
    /// Every field of a run file, in the order `RunConfigFile.encode` writes them (docs/grpo.md, "Run files", is
    /// this table; a test keeps the two equal). Checks that involve several fields beyond a range are in
    /// `validate()`.
    public static var fields: [RunField] {
        [
            RunField.string("name", \.name, "1–200 printable characters, no `/`",
                            "run name (also its folder `runs/<name>` for `flowcps rl`)").checked { c in
                let n = c.name
                guard !n.isEmpty && n.count <= 200 && n != "." && n != ".." && !n.contains("/")
                        && !n.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                    throw ConfigError(field: "name", "must be 1–200 printable characters without '/' (and not . or ..), got \"\(n)\"")
                }
            },
            .uint64("seed", \.seed, "root of every seed (prompt order, initial noise, step noise, mini-batch order, random timesteps)"),
            .int("steps", \.steps, "1…100000", "RL steps") { _, v in (1...100_000).contains(v) },
            .int("checkpoint_every", \.checkpointEvery, "≥ 0",
                 "keep the evaluation weights every k steps as `policy-<k>.safetensors` (0: the last step's only)") { _, v in v >= 0 },
            .string("model.base", \.model.base, "a checkpoint path", "the checkpoint RL starts from; also the frozen KL reference") { _, s in !s.isEmpty },
            .int("model.threads", \.model.threads, "1…64",
                 "threads of the model's passes; part of the run's identity (it orders the gradient sums)") { _, v in (1...64).contains(v) },
            .string("prompts.train", \.prompts.train, "a prompt file", "train prompts (category⇥prompt per line)") { _, s in !s.isEmpty },
            .string("prompts.eval", \.prompts.eval, "a prompt file", "held-out eval prompts") { _, s in !s.isEmpty },
            .choice("sampler.kind", \.sampler.kind, "the training sampler; GRPO needs stochastic steps (cps with η > 0), DiffusionNFT also trains deterministic rollouts (cps with η 0: the ODE's path)"),
            RunField.double("sampler.noise", \.sampler.noise, "cps: [0, 1]; dance-sde, flow-sde: > 0",
                            "η for cps [CPS paper 0.7] and dance-sde, a for flow-sde").checked { c in
                // The range depends on the sampler: its own check says which.
                do { _ = try SamplerKind(name: c.sampler.kind.rawValue, noise: c.sampler.noise) } catch let e as SamplingError {
                    throw ConfigError(field: "sampler.noise", e.message)
                }
            },
            .int("sampler.steps", \.sampler.steps, "1…100", "rollout steps N") { _, v in (1...100).contains(v) },
            .choice("sampler.grid", \.sampler.grid, "time grid of the rollouts"),
            .double("sampler.shift", \.sampler.shift, "> 0", "shift of the time grid") { _, v in v > 0 },
            .double("sampler.guidance", \.sampler.guidance, "[1, 20]",
                    "CFG scale of the rollouts (≠ 1 needs `train.cfg: true`)") { _, v in v >= 1 && v <= 20 },
            .choice("sampler.log_prob", \.sampler.logProb, "`original` (each codebase's form) or `exact` (the Gaussian density)"),
            RunField(path: "sampler.sde_window", kind: .window, range: "0 ≤ start < end ≤ sampler.steps",
                     doc: "only steps start…end−1 are stochastic (Flow-GRPO-Fast); null: every step",
                     read: { .window($0.sampler.sdeWindow) },
                     write: { c, v in if case let .window(w) = v { c.sampler.sdeWindow = w } },
                     holds: { c in c.sampler.sdeWindow.map { !$0.isEmpty && $0.lowerBound >= 0 && $0.upperBound <= c.sampler.steps } ?? true }),
            .bool("sampler.shared_initial_noise", \.sampler.sharedInitialNoise, "all samples of a prompt start from the same x₁"),
            .int("group.size", \.group.size, "2…256", "samples per prompt G") { _, v in (2...256).contains(v) },
            .int("group.prompts_per_step", \.group.promptsPerStep, "1…4096", "prompts (groups) per RL step") { _, v in (1...4096).contains(v) },
            .int("group.prompts_per_shard", \.group.promptsPerShard, "1…group.prompts_per_step",
                 "prompts per rollout job (whole groups)") { c, v in v >= 1 && v <= c.group.promptsPerStep },
            RunField(path: "rewards", kind: .rewards, range: "nonzero finite weights",
                     doc: "reward name → weight, or → {weight: W, external: true} for a reward scored by external workers (docs/external-rewards.md); total = Σ weight·score; names: " + RewardRegistry.names.joined(separator: ", "),
                     read: { .rewards($0.rewards) }, write: { c, v in if case let .rewards(r) = v { c.rewards = r } },
                     holds: nil).checked { c in
                guard !c.rewards.isEmpty else { throw ConfigError(field: "rewards", "must name at least one reward") }
                var seen = Set<String>()
                for r in c.rewards {
                    if r.external {
                        guard !RewardRegistry.names.contains(r.name) else {
                            throw ConfigError(field: "rewards.\(r.name)", "is a built-in reward; an external reward needs a name of its own")
                        }
                        guard RewardWeight.isValidExternalName(r.name) else {
                            throw ConfigError(field: "rewards.\(r.name)",
                                              "an external reward's name must be lower-case letters, digits and _, starting with a letter (at most 40)")
                        }
                    } else if !RewardRegistry.names.contains(r.name) {
                        throw ConfigError(field: "rewards.\(r.name)", "unknown reward; known rewards: \(RewardRegistry.names.joined(separator: ", ")) (a reward scored outside FlowCPS is written `\(r.name): {weight: W, external: true}`)")
                    }
                    guard seen.insert(r.name).inserted else { throw ConfigError(field: "rewards.\(r.name)", "given twice") }
                    guard r.weight.isFinite && r.weight != 0 else {
                        throw ConfigError(field: "rewards.\(r.name)", "weight must be a finite nonzero number, got \(r.weight)")
                    }
                }
            },
            .choice("advantage.std", \.advantage.std, "`group` or `global` (Flow-GRPO's `global_std`) [Flow-GRPO global]"),
            .double("advantage.clip", \.advantage.clip, "> 0", "|A| is clipped to this") { _, v in v > 0 },
            .choice("train.objective", \.train.objective,
                    "`grpo` (PPO-clipped policy gradient of the step log-probabilities) or `nft` (DiffusionNFT: flow matching toward good and away from bad rollout images)"),
            .double("train.nft_beta", \.train.nftBeta, "(0, 2]", "β of DiffusionNFT's implicit policies (train.objective nft)") { _, v in v > 0 && v <= 2 },
            .choice("train.nft_states", \.train.nftStates,
                    "states DiffusionNFT trains on: `trajectory` (the rollout's stored states) or `forward` (the image re-noised with fresh seeded noise at each trained step's σ)"),
            .double("train.lr", \.train.lr, "(0, 1]", "peak AdamW learning rate") { _, v in v > 0 && v <= 1 },
            .choice("train.schedule", \.train.schedule, "learning-rate decay over `steps` RL steps"),
            .int("train.warmup_steps", \.train.warmupSteps, "0…steps", "linear warm-up in RL steps") { c, v in v >= 0 && v <= c.steps },
            .double("train.min_lr", \.train.minLR, "[0, train.lr]", "floor of the decay") { c, v in v >= 0 && v <= c.train.lr },
            .double("train.weight_decay", \.train.weightDecay, "[0, 1)", "AdamW decoupled weight decay") { _, v in v >= 0 && v < 1 },
            .double("train.adam_epsilon", \.train.adamEpsilon, "(0, 1)",
                    "AdamW ε under √v: larger values damp parameters with small gradients") { _, v in v > 0 && v < 1 },
            .double("train.grad_clip", \.train.gradClip, "> 0", "gradient-norm clip") { _, v in v > 0 },
            .double("train.clip_range", \.train.clipRange, "(0, 1)", "PPO ε") { _, v in v > 0 && v < 1 },
            .double("train.beta", \.train.beta, "≥ 0", "KL weight β (> 0 loads the frozen reference)") { _, v in v >= 0 },
            .choice("train.kl_form", \.train.klForm, "KL estimate (docs/samplers.md, \"Log-probabilities and KL\")"),
            .int("train.mini_batches", \.train.miniBatches, "1…samples per step",
                 "optimizer steps per RL step (the step's samples split into this many)") { c, v in v >= 1 && v <= c.samplesPerStep },
            .int("train.passes", \.train.passes, "1…16",
                 "passes over the step's samples, each later one reshuffled (Flow-GRPO's inner epochs); the PPO clip binds from the second on") { _, v in (1...16).contains(v) },
            .choice("train.timesteps", \.train.timesteps,
                    "`first` ⌊N·fraction⌋ steps (Flow-GRPO), `random` ⌊(N−1)·fraction⌋ of steps 0…N−2 per sample (DanceGRPO), `stochastic` (the SDE window); GRPO keeps only stochastic steps, DiffusionNFT any step"),
            .double("train.timestep_fraction", \.train.timestepFraction, "(0, 1]",
                    "the fraction of steps trained [Flow-GRPO 0.99]") { _, v in v > 0 && v <= 1 },
            .bool("train.cfg", \.train.cfg, "guided velocity in the training forward pass"),
            .bool("train.log_base_kl", \.train.logBaseKL,
                  "measure the KL to the base model (`train.kl`) even at β = 0; never changes the update, costs a reference pass per trained term"),
            .bool("ema.enabled", \.ema.enabled, "EMA of the weights for evaluation and saving (Flow-GRPO `ema.py`)"),
            .double("ema.decay", \.ema.decay, "(0, 1)", "decay min(decay, (1+n)/(10+n)) [Flow-GRPO 0.9]") { _, v in v > 0 && v < 1 },
            .int("ema.every", \.ema.every, "≥ 1", "update every k optimizer steps [Flow-GRPO 8]") { _, v in v >= 1 },
            .int("eval.every", \.eval.every, "≥ 0", "evaluate every k RL steps, at step 0 and at the end (0: never)") { _, v in v >= 0 },
            .int("eval.steps", \.eval.steps, "1…1000", "steps of the deterministic ODE sampler of evaluation (≥ sampler.steps)") { _, v in (1...1000).contains(v) },
            .choice("eval.grid", \.eval.grid, "time grid of evaluation"),
            .double("eval.shift", \.eval.shift, "> 0", "shift of the eval time grid") { _, v in v > 0 },
            .double("eval.guidance", \.eval.guidance, "[1, 20]", "CFG scale of evaluation") { _, v in v >= 1 && v <= 20 },
            .uint64("eval.seed", \.eval.seed, "eval noise seed"),
            .int("eval.prompt_stride", \.eval.promptStride, "≥ 1", "evaluate every k-th eval prompt") { _, v in v >= 1 },
            .choice("eval.weights", \.eval.weights, "`ema` (the EMA when kept, as saved) or `live` (the policy as trained: the EMA's lag)"),
            .int("eval.samples_per_prompt", \.eval.samplesPerPrompt, "1…64",
                 "images per eval prompt (decisive evals: 4, i.e. 1536 images on geneval-eval.txt); standard errors clustered by prompt") { _, v in (1...64).contains(v) },
        ]
    }

    /// The field at a dotted path.
    public static func field(_ path: String) -> RunField? {
        fields.first { $0.path == path }
    }

    /// The run-file table of docs/grpo.md: field, type, default, range, meaning.
    public static var fieldTableMarkdown: String {
        var rows = ["| field | type | default | range | meaning |", "|---|---|---|---|---|"]
        for f in fields {
            func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
            rows.append("| `\(f.path)` | \(f.kind.name) | `\(cell(RunField.text(f.defaultValue)))` | "
                        + "\(f.range.isEmpty ? "—" : cell(f.range)) | \(cell(f.doc)) |")
        }
        return rows.joined(separator: "\n") + "\n"
    }
}
