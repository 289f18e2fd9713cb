import Foundation
import Store

/// A snapshot of a run for `run status --follow`: progress, what runs now, queue counts, the latest rewards.
public struct RunProgress: Sendable {
    public let run: RunSummary
    /// Jobs by state.
    public let counts: [JobState: Int]
    /// Running jobs as "stage step[.shard]".
    public let running: [String]
    /// The newest rollout reward mean and eval strict accuracy, with their steps.
    public let reward: (step: Int, value: Double)?
    public let eval: (step: Int, value: Double)?
    /// The standard error of that eval strict accuracy (clustered by prompt line), when recorded.
    public let evalStandardError: Double?
    /// Mean wall time of the run's last (up to) five completed steps.
    public let secondsPerStep: Double?
    /// External rewards no worker is serving.
    public let externalWaits: [ExternalRewardWait]

    /// Reads the snapshot of run `name`.
    public static func read(_ c: Connection, name: String) throws -> RunProgress {
        let run = try Runs(connection: c).find(name)
        let counts = try JobQueue(connection: c).counts(runID: run.id)
        let running = try c.execute(JobStatements.running(runID: run.id)).rows.map { r in
            "\(try r.string("stage")) \(try r.int("step"))" + ((try r.int("shard")) > 0 ? ".\(try r.int("shard"))" : "")
        }
        var reward: (Int, Double)?, eval: (Int, Double)?, evalSE: (Int, Double)?
        for r in try c.execute(MetricStatements.latest(runID: run.id)).rows {
            switch try r.string("name") {
            case "reward.mean": reward = (try r.int("step"), try r.double("value"))
            case "eval.strict": eval = (try r.int("step"), try r.double("value"))
            case "eval.strict_se": evalSE = (try r.int("step"), try r.double("value"))
            default: break
            }
        }
        let steps = try c.execute(ViewStatements.stepTimings(runID: run.id)).rows.map { try $0.double("step_seconds") }
        let recent = steps.suffix(5)
        return RunProgress(run: run, counts: counts, running: running, reward: reward, eval: eval,
                           evalStandardError: evalSE.flatMap { $0.0 == eval?.0 ? $0.1 : nil },
                           secondsPerStep: recent.isEmpty ? nil : recent.reduce(0, +) / Double(recent.count),
                           externalWaits: try ExternalRewardWait.read(c, runID: run.id))
    }

    /// True once the run can make no more progress by itself (completed, cancelled or failed).
    public var isFinished: Bool { run.state.isFinished }

    /// Seconds left at the recent pace (nil before the first step completes).
    public var secondsLeft: Double? {
        secondsPerStep.map { $0 * Double(max(0, run.steps - run.version)) }
    }
}
