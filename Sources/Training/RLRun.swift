import Foundation
import GRPO
import Model
import Rewards
import Scenes

/// Seconds spent in each stage of one RL step.
public struct StageTimes: Sendable, Equatable {
    public var plan = 0.0, rollout = 0.0, score = 0.0, advantage = 0.0, train = 0.0
    public var total: Double { plan + rollout + score + advantage + train }
    public init() {}
}

/// The record of one RL step.
public struct StepReport: Sendable {
    public var step: Int
    public var plan: StepPlan
    public var scores: [SampleScore]
    public var advantages: StepAdvantages
    public var train: TrainMetrics
    public var times: StageTimes
    /// Mean weighted reward of the step's rollouts.
    public var rewardMean: Double { advantages.batch.rewardMean }

    /// Mean of each named reward over the step's samples.
    public var rewardMeans: [NamedValue] {
        guard let first = scores.first else { return [] }
        return first.rewards.indices.map { k in
            NamedValue(name: first.rewards[k].name,
                       value: scores.map { $0.rewards[k].value }.reduce(0, +) / Double(scores.count))
        }
    }
}

/// The composed in-process loop plan → rollout → score → advantage → train over the stage functions, as the
/// PostgreSQL pipeline runs them but in one process (tests, benchmarks, settings searches).
public final class RLRun {
    public let config: RunConfig
    public let state: PolicyState
    /// The frozen base model for the KL term (nil when β = 0).
    public let reference: FlowUNet?
    public let trainSet: [PromptEntry]
    public let evalSet: [PromptEntry]
    public let rewards: WeightedRewards

    /// A run starting at `base`; validates the config and both prompt sets.
    public init(config: RunConfig, base: FlowUNet, trainSet: [PromptEntry], evalSet: [PromptEntry]) throws {
        try config.validate()
        guard !trainSet.isEmpty else { throw ConfigError(field: "prompts.train", "the train prompt set is empty") }
        for e in trainSet + evalSet { _ = try Tokenizer.encode(e.prompt) }
        try config.checkRewardsFit(trainSet, file: config.prompts.train)
        self.config = config
        state = try PolicyState(base: base, config: config)
        if config.needsReference {
            let r = try FlowUNet(config: base.config, seed: 0, threads: config.model.threads)
            r.copyParameters(from: base)
            reference = r
        } else {
            reference = nil
        }
        self.trainSet = trainSet
        self.evalSet = evalSet
        guard config.externalRewards.isEmpty, let rewards = try config.internalRewards() else {
            throw ConfigError(field: "rewards.\(config.externalRewards.first?.name ?? "")",
                              "is external: external rewards are scored by reward workers through the pipeline (`flowcps run submit`), not by `flowcps rl`")
        }
        self.rewards = rewards
    }

    /// Runs the next RL step (`state.completedSteps`).
    public func step() throws -> StepReport {
        let k = state.completedSteps
        var times = StageTimes()
        func timed<T>(_ slot: WritableKeyPath<StageTimes, Double>, _ body: () throws -> T) rethrows -> T {
            let start = DispatchTime.now().uptimeNanoseconds
            defer { times[keyPath: slot] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
            return try body()
        }
        let plan = try timed(\.plan) { try PlanStage.run(step: k, config: config, trainSet: trainSet) }
        var trajectories: [RolloutTrajectory] = []
        var scores: [SampleScore] = []
        for shard in plan.shards {
            let part = try timed(\.rollout) { try RolloutStage.run(policy: state.model, shard: shard, step: k, config: config) }
            scores += try timed(\.score) { try ScoreStage.run(images: part.map(\.rewardInput), rewards: rewards) }
            trajectories += part.map(\.trajectory)
        }
        let advantages = try timed(\.advantage) { try AdvantageStage.run(scores: scores, config: config) }
        let metrics = try timed(\.train) {
            try TrainStage.run(state: state, reference: reference, samples: trajectories, advantages: advantages.advantages,
                               step: k, config: config)
        }
        state.completedSteps = k + 1
        return StepReport(step: k, plan: plan, scores: scores, advantages: advantages, train: metrics, times: times)
    }

    /// The weights evaluations read: the EMA's when kept (unless `eval.weights` is `live`), else the policy.
    func evaluatedModel() throws -> FlowUNet {
        config.evaluatesEMA ? try state.evaluationModel() : state.model
    }

    /// Evaluates the current weights (`evaluatedModel()`).
    public func evaluate() throws -> EvaluationReport {
        try EvalStage.run(model: evaluatedModel(), evalSet: evalSet, config: config)
    }

    /// The evaluation images of the current weights (`evaluatedModel()`), each with every recorded value.
    public func evaluationImages() throws -> [ScoredEvalImage] {
        try EvalStage.images(model: evaluatedModel(),
                             entries: Array(EvalStage.entries(of: evalSet, config: config).enumerated()), config: config)
    }
}
