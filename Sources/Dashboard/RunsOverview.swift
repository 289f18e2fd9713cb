import Foundation
import Pipeline
import Store

/// A value at a step (a curve's point, the latest reward).
public struct StepValue: Codable, Sendable, Equatable {
    public let step: Int
    public let value: Double
}

/// An eval accuracy at a step with its standard error (clustered by prompt line), when recorded.
public struct StepAccuracy: Codable, Sendable, Equatable {
    public let step: Int
    public let strict: Double
    public let se: Double?
}

/// One line of the runs page (`GET /api/runs`).
public struct RunLine: Codable, Sendable {
    public let name: String
    public let state: String
    public let reason: String?
    public let step: Int
    public let steps: Int
    /// Mean wall time of the last (up to) five steps, and the time left at that pace.
    public let secondsPerStep: Double?
    public let etaSeconds: Double?
    /// Running jobs as "stage step[.shard]".
    public let running: [String]
    public let reward: StepValue?
    public let eval: StepAccuracy?
    /// The last rollout reward means (up to 50), oldest first.
    public let sparkline: [Double]
    /// The sweep the run belongs to, with its point, seed and overrides.
    public let sweep: String?
    public let point: Int?
    public let seed: Int64?
    public let overrides: String?
    /// What the run waits for that no worker provides ("waiting for external reward align: …").
    public let notices: [String]
}

/// The runs page: every run, newest first, with the sweeps they form.
public struct RunsOverview: Codable, Sendable {
    public let runs: [RunLine]
    /// Sweep names in order; their runs carry `sweep`.
    public let sweeps: [String]

    /// Points in each sparkline.
    public static let sparklinePoints = 50

    /// Which sweep each run is in, and the sweeps in order.
    static func membership(_ c: Connection) throws -> (runs: [Int64: SweepMembership], sweeps: [String]) {
        var member: [Int64: SweepMembership] = [:]
        var sweeps: [String] = []
        for r in try c.execute(SweepStatements.membership).rows {
            let sweep = try r.string("sweep")
            if sweeps.last != sweep { sweeps.append(sweep) }
            member[Int64(try r.int("run_id"))] = SweepMembership(sweep: sweep, point: try r.int("point"),
                                                                 seed: Int64(try r.int("seed")), overrides: try r.string("overrides"))
        }
        return (member, sweeps)
    }

    public static func load(_ c: Connection) throws -> RunsOverview {
        var spark: [Int64: [Double]] = [:]
        for r in try c.execute(ViewStatements.recentRewardMeans(points: sparklinePoints)).rows {
            spark[Int64(try r.int("run_id")), default: []].append(try r.double("value"))
        }
        let (member, sweeps) = try membership(c)
        let lines = try Runs(connection: c).list().reversed().map { run in
            try RunLine.read(c, run: run, sparkline: spark[run.id] ?? [], membership: member[run.id])
        }
        return RunsOverview(runs: lines, sweeps: sweeps)
    }
}

/// A run's place in a sweep.
struct SweepMembership {
    let sweep: String, point: Int, seed: Int64, overrides: String
}

extension RunLine {
    /// The line of `run`: its progress snapshot, the sparkline's values and its sweep.
    static func read(_ c: Connection, run: RunSummary, sparkline: [Double], membership m: SweepMembership?) throws -> RunLine {
        let p = try RunProgress.read(c, name: run.name)
        return RunLine(
            name: run.name, state: run.state.rawValue, reason: run.reason, step: run.version, steps: run.steps,
            secondsPerStep: p.secondsPerStep.finite, etaSeconds: p.isFinished ? nil : p.secondsLeft.finite,
            running: p.running, reward: p.reward.flatMap { StepValue.finite($0.step, $0.value) },
            eval: p.eval.flatMap { e in e.value.isFinite ? StepAccuracy(step: e.step, strict: e.value, se: p.evalStandardError.finite) : nil },
            sparkline: sparkline.filter(\.isFinite), sweep: m?.sweep, point: m?.point, seed: m?.seed,
            overrides: m?.overrides, notices: p.externalWaits.map(\.message))
    }
}

extension StepValue {
    /// The point, or nil when the value is NaN or infinite (JSON has no such numbers).
    static func finite(_ step: Int, _ value: Double) -> StepValue? {
        value.isFinite ? StepValue(step: step, value: value) : nil
    }
}

extension Optional where Wrapped == Double {
    /// The value when it is a finite number, else nil.
    var finite: Double? { self.flatMap { $0.isFinite ? $0 : nil } }
}
