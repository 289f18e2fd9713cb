import Foundation
import Pipeline
import Store

/// Rollout reward statistics of one step (the weighted total trained on).
public struct RewardPoint: Codable, Sendable {
    public let step: Int
    public let mean: Double
    public let std: Double
    public let p10: Double
    public let p90: Double
}

/// One category's eval accuracy at the first and at the latest evaluation.
public struct BeforeAfter: Codable, Sendable {
    public let category: String
    public let before: StepAccuracy
    public let after: StepAccuracy
    /// after − before.
    public let change: Double
}

/// A rollout image with its prompt and scores; `png` is its address on this server.
public struct RolloutSample: Codable, Sendable {
    public let prompt: String
    public let promptIndex: Int
    public let sampleIndex: Int
    public let reward: Double?
    public let advantage: Double?
    public let png: String
}

/// A run's jobs of one stage by state (view `queue_depth`).
public struct StageJobs: Codable, Sendable {
    public let stage: String
    public let pending: Int, available: Int, running: Int, completed: Int, failed: Int, cancelled: Int
}

/// The run page (`GET /api/runs/{name}`): progress, curves, the before/after table, the latest eval grid and
/// rollout, jobs and the resolved run file.
public struct RunDetail: Codable, Sendable {
    public let run: RunLine
    public let config: String
    public let reward: [RewardPoint]
    /// Eval strict accuracy by category (`overall` included) per eval step.
    public let eval: [String: [StepAccuracy]]
    /// Objective metrics per step: kl, approx_kl, clip_fraction, grad_norm (`train.<name>`).
    public let train: [String: [StepValue]]
    /// Seconds per step by stage (the workers' compute time) and the step's wall time.
    public let stageSeconds: [String: [StepValue]]
    public let stepSeconds: [StepValue]
    public let beforeAfter: [BeforeAfter]
    /// Steps with eval images, and the address of the latest one's grid.
    public let evalSteps: [Int]
    public let evalGrid: String?
    /// The newest scored rollout step and some of its samples.
    public let sampleStep: Int?
    public let samples: [RolloutSample]
    public let jobs: [StageJobs]

    /// Objective metrics the run page plots.
    public static let trainMetrics: Set<String> = ["kl", "approx_kl", "clip_fraction", "grad_norm"]
    /// Rollout samples shown: the first `samplesPerPrompt` of the first prompts, `sampleLimit` in all.
    public static let sampleLimit = 16, samplesPerPrompt = 4

    public static func load(_ c: Connection, name: String) throws -> RunDetail {
        let run = try Runs(connection: c).find(name)
        let config = try c.execute(RunStatements.byName(name)).single().map { try $0.string("config") } ?? ""
        let base = "/api/runs/" + DashboardPath.segment(name)
        let reward = try c.execute(ViewStatements.rewardStatistics(runID: run.id, reward: "total")).rows.compactMap { r -> RewardPoint? in
            let p = RewardPoint(step: try r.int("step"), mean: try r.double("mean"), std: try r.double("std"),
                                p10: try r.double("p10"), p90: try r.double("p90"))
            return [p.mean, p.std, p.p10, p.p90].allSatisfy(\.isFinite) ? p : nil
        }
        var strict: [String: [Int: Double]] = [:], se: [String: [Int: Double]] = [:]
        var train: [String: [StepValue]] = [:], stages: [String: [StepValue]] = [:]
        for r in try c.execute(MetricStatements.dashboard(runID: run.id)).rows {
            let step = try r.int("step"), name = try r.string("name"), value = try r.double("value")
            guard value.isFinite else { continue }
            switch name {
            case "eval.strict": strict["overall", default: [:]][step] = value
            case "eval.strict_se": se["overall", default: [:]][step] = value
            case let n where n.hasPrefix("eval.strict_se."): se[String(n.dropFirst(15)), default: [:]][step] = value
            case let n where n.hasPrefix("eval.strict."): strict[String(n.dropFirst(12)), default: [:]][step] = value
            case let n where n.hasPrefix("train.") && trainMetrics.contains(String(n.dropFirst(6))):
                train[String(n.dropFirst(6)), default: []].append(StepValue(step: step, value: value))
            case let n where n.hasPrefix("seconds.") && !["seconds.queue", "seconds.write"].contains(n):
                stages[String(n.dropFirst(8)), default: []].append(StepValue(step: step, value: value))
            default: break
            }
        }
        var eval: [String: [StepAccuracy]] = [:]
        for (category, points) in strict {
            eval[category] = points.keys.sorted().map { StepAccuracy(step: $0, strict: points[$0]!, se: se[category]?[$0]) }
        }
        let beforeAfter = eval.keys.sorted { a, b in (a == "overall" ? 1 : 0, a) < (b == "overall" ? 1 : 0, b) }
            .compactMap { k -> BeforeAfter? in
                guard let points = eval[k], let first = points.first, let last = points.last, points.count > 1 else { return nil }
                return BeforeAfter(category: k, before: first, after: last, change: last.strict - first.strict)
            }
        let steps = try c.execute(ViewStatements.stepTimings(runID: run.id)).rows.compactMap { r -> StepValue? in
            StepValue.finite(try r.int("step"), try r.double("step_seconds"))
        }
        let evalSteps = try c.execute(EvalSampleStatements.steps(runID: run.id)).rows.map { try $0.int("step") }
        var sampleStep: Int?
        let samples = try c.execute(SampleStatements.latestScored(runID: run.id, limit: sampleLimit, perPrompt: samplesPerPrompt))
            .rows.map { r -> RolloutSample in
                let step = try r.int("step"), p = try r.int("prompt_index"), s = try r.int("sample_index")
                sampleStep = step
                return RolloutSample(prompt: try r.string("prompt"), promptIndex: p, sampleIndex: s,
                                     reward: try r.optionalDouble("reward").finite, advantage: try r.optionalDouble("advantage").finite,
                                     png: "\(base)/samples/\(step)/\(p)/\(s).png")
            }
        let jobs = try c.execute(ViewStatements.queueDepth(runID: run.id)).rows.map { r in
            StageJobs(stage: try r.string("stage"), pending: try r.int("pending"), available: try r.int("available"),
                      running: try r.int("running"), completed: try r.int("completed"), failed: try r.int("failed"),
                      cancelled: try r.int("cancelled"))
        }
        let overview = try RunLine.read(c, run: run, sparkline: reward.suffix(RunsOverview.sparklinePoints).map(\.mean),
                                        membership: try RunsOverview.membership(c).runs[run.id])
        return RunDetail(run: overview, config: config, reward: reward, eval: eval, train: train, stageSeconds: stages,
                         stepSeconds: steps, beforeAfter: beforeAfter, evalSteps: evalSteps,
                         evalGrid: evalSteps.last.map { "\(base)/eval-grid.png?step=\($0)" }, sampleStep: sampleStep,
                         samples: samples, jobs: jobs)
    }
}
