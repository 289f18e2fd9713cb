import GRPO
import Model
import Rewards
import Sampling
import Scenes

/// Every option of an RL run (docs/algorithms.md §3–4): the training sampler, groups, rewards, advantages, the
/// objective and optimizer, EMA and evaluation. Field names follow the YAML file (`pipelines/*.yaml`, decoded by
/// the Pipeline module); `validate()` checks every range and names the field of the first violation. The defaults are
/// the settings tuned for GRPO with CPS on the geneval task (docs/grpo.md, "Settings search", run search-m), the
/// reward aside: `pipelines/geneval-cps.yaml` adds the search's strict bonus (`geneval_strict: 1`).
public struct RunConfig: Sendable, Equatable {
    /// Run name (letters, digits, `-`, `_`, `.`).
    public var name = "run"
    /// The root of every seed of the run.
    public var seed: UInt64 = 0
    /// RL steps (each: plan → rollout → score → advantage → train).
    public var steps = 200
    public var model = ModelSection()
    public var prompts = PromptSection()
    public var sampler = SamplerSection()
    public var group = GroupSection()
    /// Reward names with weights: total = Σ weight·score.
    public var rewards: [RewardWeight] = [RewardWeight(name: "geneval", weight: 1)]
    public var advantage = AdvantageSection()
    public var train = TrainSection()
    public var ema = EMASection()
    public var eval = EvalSection()
    /// Keep a policy checkpoint every this many RL steps (0: only the last).
    public var checkpointEvery = 0

    public init() {}

    /// The base model and the threads of the model's passes.
    public struct ModelSection: Sendable, Equatable {
        /// The checkpoint RL starts from (and the frozen KL reference).
        public var base = "models/shapes-base.safetensors"
        public var threads = 2
        public init() {}
    }

    /// Prompt-set files (category<TAB>prompt per line).
    public struct PromptSection: Sendable, Equatable {
        public var train = "pipelines/prompts/geneval-train.txt"
        public var eval = "pipelines/prompts/geneval-eval.txt"
        public init() {}
    }

    /// The training rollouts' sampler.
    public struct SamplerSection: Sendable, Equatable {
        public var kind = RolloutSamplerName.cps
        /// η for cps and dance-sde, a for flow-sde (0.4: the tuned CPS level of docs/grpo.md).
        public var noise = 0.4
        public var steps = 10
        public var grid = TimeGrid.Kind.sd3
        public var shift = 3.0
        /// Classifier-free guidance of the rollouts (1: none).
        public var guidance = 1.0
        public var logProb = LogProbForm.original
        /// Stochastic steps [start, end); nil: every step.
        public var sdeWindow: Range<Int>?
        /// All samples of a prompt share x₁.
        public var sharedInitialNoise = false
        public init() {}
    }

    /// Groups and sharding.
    public struct GroupSection: Sendable, Equatable {
        /// Samples per prompt (G).
        public var size = 8
        /// Prompts (groups) per RL step.
        public var promptsPerStep = 32
        /// Prompts per rollout job (whole groups).
        public var promptsPerShard = 2
        public init() {}
    }

    /// Group-relative advantages.
    public struct AdvantageSection: Sendable, Equatable {
        /// `global` (Flow-GRPO's global_std) or `group`.
        public var std = AdvantageScale.group
        /// |A| is clipped to this.
        public var clip = 5.0
        public init() {}
    }

    /// Which timesteps a sample trains.
    public enum TimestepRule: String, Sendable, CaseIterable {
        /// The first ⌊N·fraction⌋ steps (Flow-GRPO).
        case first
        /// A seeded random ⌊(N−1)·fraction⌋ of steps 0…N−2 per sample (DanceGRPO).
        case random
        /// Exactly the stochastic steps (the SDE window).
        case stochastic
    }

    /// What the train stage minimises.
    public enum TrainObjective: String, Sendable, CaseIterable {
        /// Flow-GRPO: the PPO-clipped policy gradient of each stored step's log-probability (PolicyObjective).
        case grpo
        /// DiffusionNFT: flow matching on each rollout's own image, toward it for samples above their group's mean
        /// and away for those below (NegativeAwareObjective); no log-probability involved.
        case nft
    }

    /// Which noisy states DiffusionNFT trains on.
    public enum NFTStates: String, Sendable, CaseIterable {
        /// The rollout's own stored states x_t (Flow-Factory's reading; the better one in docs/grpo.md's probes).
        case trajectory
        /// The forward process: x_σ = (1 − σ)·x0 + σ·ε with fresh seeded noise ε at each trained step's σ.
        case forward
    }

    /// The objective and optimizer.
    public struct TrainSection: Sendable, Equatable {
        public var objective = TrainObjective.grpo
        /// β of DiffusionNFT's implicit policies v± (how far one update may move the velocity: ≈ 1/β of the
        /// distance to the image's flow-matching target at r = 1).
        public var nftBeta = 1.0
        public var nftStates = NFTStates.trajectory
        public var lr = 3e-5
        public var schedule = LearningRateSchedule.Decay.constant
        public var warmupSteps = 0
        public var minLR = 0.0
        public var weightDecay = 1e-4
        /// AdamW's ε, the floor under √v in the update: above the typical gradient size it damps the parameters
        /// whose gradients are small instead of moving each by about the rate (docs/grpo.md, probes w and x).
        public var adamEpsilon = 1e-8
        public var gradClip = 1.0
        /// PPO ε.
        public var clipRange = 1e-4
        /// KL weight β (0: no reference model).
        public var beta = 0.0
        public var klForm = KLForm.flowGRPO
        /// Optimizer steps per RL step (the step's samples are split into this many mini-batches).
        public var miniBatches = 2
        /// Passes over the step's samples (Flow-GRPO's inner epochs): passes × mini-batches optimizer steps.
        public var passes = 1
        public var timesteps = TimestepRule.first
        public var timestepFraction = 0.6
        /// Guided velocity in the training forward pass (required when the rollouts use guidance).
        public var cfg = false
        /// Measure the KL to the base model (`train.kl`) even at β = 0 (a reference pass per trained term).
        public var logBaseKL = false
        public init() {}
    }

    /// EMA of the weights used for evaluation and saving (Flow-GRPO `ema.py`).
    public struct EMASection: Sendable, Equatable {
        public var enabled = true
        public var decay = 0.98
        /// Update every this many optimizer steps.
        public var every = 1
        public init() {}
    }

    /// Periodic deterministic evaluation.
    public struct EvalSection: Sendable, Equatable {
        /// Every this many RL steps (0: never; step 0 and the last step are evaluated when > 0).
        public var every = 20
        public var steps = 40
        public var grid = TimeGrid.Kind.sd3
        public var shift = 3.0
        public var guidance = 1.0
        public var seed: UInt64 = 0
        /// Use every k-th eval prompt (1: all).
        public var promptStride = 1
        /// Images per eval prompt line (seeds: line, sample); standard errors are clustered by line.
        public var samplesPerPrompt = 1
        /// Which weights are evaluated when the run keeps an EMA.
        public var weights = EvalWeights.ema
        public init() {}
    }

    /// The weights an evaluation samples from.
    public enum EvalWeights: String, Sendable, CaseIterable {
        /// The EMA when `ema.enabled` (what is saved), else the policy.
        case ema
        /// The policy as trained (the rollouts' weights), also when an EMA is kept: shows the EMA's lag.
        case live
    }
}

/// A reward value a sample lacks.
public struct MissingReward: Error, Equatable {
    public let name: String
}

/// One reward term of the run: a reward of the registry scored by the pipeline's score stage, or an external one
/// (`external: true`) scored by any process that claims its `reward` jobs over SQL (docs/external-rewards.md).
public struct RewardWeight: Sendable, Equatable {
    public var name: String
    public var weight: Double
    /// Scored outside FlowCPS by a reward worker.
    public var external: Bool
    public init(name: String, weight: Double, external: Bool = false) {
        self.name = name
        self.weight = weight
        self.external = external
    }

    /// An external reward's name: lower-case letters, digits and `_`, starting with a letter, at most 40 characters
    /// (it travels in job arguments and SQL rows, and workers select jobs by it).
    public static func isValidExternalName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first), name.unicodeScalars.count <= 40 else {
            return false
        }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}

extension RunConfig {
    /// Checks every field against its range in `RunConfig.fields` (in table order), then the rules that tie fields
    /// together; the error names the first field at fault.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ message: @autoclosure () -> String) throws {
            if !ok { throw ConfigError(field: field, message()) }
        }
        for f in RunConfig.fields { try f.check(self) }
        // Rules across fields.
        if train.timesteps == .random {
            try check(sampler.steps >= 2 && Int(Double(sampler.steps - 1) * train.timestepFraction) >= 1,
                      "train.timestep_fraction", "trains no step: ⌊(sampler.steps − 1)·fraction⌋ is 0")
        } else if train.timesteps == .first {
            try check(Int(Double(sampler.steps) * train.timestepFraction) >= 1, "train.timestep_fraction",
                      "trains no step: ⌊sampler.steps·fraction⌋ is 0")
        }
        if let w = sampler.sdeWindow, train.timesteps != .stochastic {
            let chosen = train.timesteps == .first ? 0..<Int(Double(sampler.steps) * train.timestepFraction) : 0..<(sampler.steps - 1)
            try check(chosen.overlaps(w), "train.timesteps", "no trained step falls in sampler.sde_window")
        }
        try check(train.cfg || sampler.guidance == 1, "train.cfg",
                  "must be true when sampler.guidance is \(sampler.guidance): the rollout log-probs are of the guided velocity")
        try check(!train.cfg || sampler.guidance != 1, "train.cfg", "is true but sampler.guidance is 1 (no guidance to train through)")
        let rollouts = try samplerConfig()
        if !(0..<rollouts.grid.steps).contains(where: { rollouts.transition(at: $0).isStochastic }) {
            try check(trainsDeterministicSteps, "sampler.noise",
                      "\(sampler.kind.rawValue) with noise \(sampler.noise) draws deterministic rollouts, which only "
                      + "train.objective nft with train.timesteps first or random can train (GRPO needs stochastic steps)")
        }
        if train.objective == .nft {
            try check(train.beta == 0, "train.beta", "must be 0 with train.objective nft (its update is bounded by train.nft_beta instead)")
            try check(!train.cfg, "train.cfg", "must be false with train.objective nft (it trains the conditional velocity)")
        }
        try check(eval.steps >= sampler.steps, "eval.steps", "must be at least sampler.steps (\(sampler.steps)), got \(eval.steps)")
    }

    /// The rollouts' sampler.
    public func samplerConfig() throws -> SamplerConfig {
        try SamplerConfig(kind: SamplerKind(name: sampler.kind.rawValue, noise: sampler.noise),
                          grid: TimeGrid(sampler.grid, steps: sampler.steps, shift: sampler.shift),
                          logProbForm: sampler.logProb, sdeWindow: sampler.sdeWindow,
                          sharedInitialNoise: sampler.sharedInitialNoise)
    }

    /// The evaluation's deterministic ODE sampler.
    public func evalSamplerConfig() throws -> SamplerConfig {
        try SamplerConfig(kind: .ode, grid: TimeGrid(eval.grid, steps: eval.steps, shift: eval.shift))
    }

    /// The objective's options.
    public var objectiveOptions: ObjectiveOptions {
        ObjectiveOptions(clip: ClipOptions(clipRange: train.clipRange, advantageClip: advantage.clip),
                         beta: train.beta, klForm: train.klForm, logProbForm: sampler.logProb)
    }

    /// Whether deterministic sampler steps may train: GRPO trains log-probabilities, which only stochastic steps have;
    /// DiffusionNFT trains the velocity at stored states, so any step may train unless the SDE window is asked for.
    public var trainsDeterministicSteps: Bool { train.objective == .nft && train.timesteps != .stochastic }

    /// The trained-timestep rule.
    public var timestepSelection: TimestepSelection {
        switch train.timesteps {
        case .first: .fraction(train.timestepFraction)
        case .random: .randomFraction(train.timestepFraction)
        case .stochastic: .stochastic
        }
    }

    /// The learning rate per RL step.
    public var learningRateSchedule: LearningRateSchedule {
        LearningRateSchedule(peak: train.lr, warmupSteps: train.warmupSteps, totalSteps: steps, decay: train.schedule,
                             minimum: train.minLR)
    }

    /// The weighted set of the rewards FlowCPS scores itself; nil when every reward is external.
    public func internalRewards() throws -> WeightedRewards? {
        let terms = rewards.filter { !$0.external }
        return terms.isEmpty ? nil : try WeightedRewards(terms.map { (try RewardRegistry.reward(named: $0.name), $0.weight) })
    }

    /// The rewards scored by external reward workers, in the run file's order.
    public var externalRewards: [RewardWeight] { rewards.filter(\.external) }

    /// The weighted total of one sample's named reward values, Σ weight·value in the run file's order (the same
    /// sum, in the same order, as `WeightedRewards.score`); nil names the first reward missing from `values`.
    public func total(of values: [String: Double]) -> Result<Double, MissingReward> {
        var total = 0.0
        for r in rewards {
            guard let v = values[r.name] else { return .failure(MissingReward(name: r.name)) }
            total += r.weight * v
        }
        return .success(total)
    }

    /// True when evaluations after step k > 0 read the EMA weights (the stored `eval` checkpoint) rather than the policy.
    public var evaluatesEMA: Bool { ema.enabled && eval.weights == .ema }

    /// True when the training stage needs the frozen base model: for the KL term (β > 0) or to measure it.
    public var needsReference: Bool { train.beta > 0 || train.logBaseKL }

    /// Samples per RL step.
    public var samplesPerStep: Int { group.promptsPerStep * group.size }

    /// Refuses a weighted reward that cannot score some train prompt (an `ocr` reward over GenEval prompts), naming
    /// the reward, how many prompts it cannot score and the first of them: a run would otherwise fail at its first
    /// score job, after its rollouts.
    public func checkRewardsFit(_ prompts: [PromptEntry], file: String) throws {
        let specs = try prompts.map { e in
            do { return try PromptParser.parse(e.prompt) } catch let error as PromptError {
                throw ConfigError(field: "prompts.train", "\(file): \(error.message)")
            }
        }
        for r in rewards where r.weight != 0 && !r.external {
            let reward = try RewardRegistry.reward(named: r.name)
            let misfits = specs.indices.compactMap { i in reward.unsupported(specs[i]).map { (i, $0) } }
            guard let (first, why) = misfits.first else { continue }
            throw ConfigError(field: "rewards.\(r.name)", "\(why): \(misfits.count) of the \(prompts.count) prompts of "
                              + "\(file) are not, the first at line \(first + 1): \"\(prompts[first].prompt)\"")
        }
    }
}
