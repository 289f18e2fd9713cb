import Foundation
import Store
import Training

/// One run of a sweep as `sweep status` and the report show it.
public struct SweepRun: Sendable {
    public let run: String
    public let runID: Int64
    public let point: Int
    public let seed: UInt64
    /// The point's overrides, `path=value` joined by ", ".
    public let overrides: String
    public let state: String
    public let stepsDone: Int
    public let steps: Int
    /// Overall strict of the first (the base) and latest complete evaluations, with the latest's standard error.
    public let first: (step: Int, strict: Double)?
    public let last: (step: Int, strict: Double, standardError: Double?)?
}

/// Submitting and reading sweeps: named sets of runs from one sweep file (docs/sweeps.md).
public struct Sweeps {
    public let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// Validates every run of `sweep` (prompt files, base model) before writing anything, then writes the sweep and
    /// all its runs with their first jobs in one transaction: either the whole sweep is queued or none of it. A sweep
    /// or run name in use is an error.
    public func submit(_ sweep: SweepFile, fileText: String) throws -> [RunSummary] {
        var baseModels: [String: [UInt8]] = [:]  // one copy per base model, however many runs share it
        let submissions = try sweep.members.map { try Runs.prepare($0.config, baseModels: &baseModels) }
        return try connection.transaction { c in
            if try c.execute(SweepStatements.byName(sweep.name)).rows.count > 0 {
                throw PipelineError.invalid("a sweep named \"\(sweep.name)\" exists already (rename it in the sweep file)")
            }
            let id = Int64(try c.execute(SweepStatements.insert(name: sweep.name, file: fileText)).rows[0].int("id"))
            return try zip(sweep.members, submissions).map { member, submission in
                let run = try Runs.insert(submission, into: c)
                try c.execute(SweepStatements.addRun(sweepID: id, runID: run.id, point: member.point, seed: member.seed,
                                                     overrides: member.overrides.joined(separator: ", ")))
                return run
            }
        }
    }

    /// The runs of sweep `name`, by point and seed.
    public func runs(_ name: String) throws -> [SweepRun] {
        guard try connection.execute(SweepStatements.byName(name)).rows.count > 0 else {
            throw PipelineError.invalid("no sweep named \"\(name)\" (see `flowcps sweep list`)")
        }
        return try connection.execute(SweepStatements.runs(sweepName: name)).rows.map { r in
            let first = try r.optionalInt("first_eval_step").map { ($0, try r.double("first_strict")) }
            let last = try r.optionalInt("last_eval_step").map { ($0, try r.double("last_strict"), try r.optionalDouble("last_strict_se")) }
            return SweepRun(run: try r.string("run"), runID: Int64(try r.int("run_id")), point: try r.int("point"),
                            seed: UInt64(bitPattern: Int64(try r.int("seed"))), overrides: try r.string("overrides"),
                            state: try r.string("state"), stepsDone: try r.int("steps_done"), steps: try r.int("steps"),
                            first: first, last: last)
        }
    }

    /// True when a sweep is called `name`.
    public func exists(_ name: String) throws -> Bool {
        try connection.execute(SweepStatements.byName(name)).rows.count > 0
    }

    /// Every sweep: name, runs, and how many are completed, active, or otherwise (paused, failed, cancelled).
    public func list() throws -> [(name: String, runs: Int, completed: Int, active: Int, other: Int)] {
        try connection.execute(SweepStatements.list).rows.map { r in
            (try r.string("name"), try r.int("runs"), try r.int("completed"), try r.int("active"), try r.int("other"))
        }
    }
}

/// What the runs of one point of a sweep reached, over its seeds.
public struct SweepPointSummary: Sendable {
    public let point: Int
    public let overrides: String
    /// Runs of the point, and those with a complete evaluation after their first.
    public let runs: Int
    public let evaluated: Int
    /// Mean over seeds of the latest overall strict, its standard error (the runs' eval errors combined,
    /// √Σse²/n), and the mean change from each run's first evaluation.
    public let strict: Double?
    public let standardError: Double?
    public let change: Double?

    /// Per point, in point order.
    public static func summarize(_ runs: [SweepRun]) -> [SweepPointSummary] {
        Dictionary(grouping: runs, by: \.point).sorted { $0.key < $1.key }.map { point, rs in
            let done = rs.filter { r in r.last != nil && r.first != nil && r.last!.step > r.first!.step }
            let n = Double(done.count)
            let strict = done.isEmpty ? nil : done.map { $0.last!.strict }.reduce(0, +) / n
            let errors = done.compactMap { $0.last!.standardError }
            let se = done.isEmpty || errors.count < done.count ? nil : errors.map { $0 * $0 }.reduce(0, +).squareRoot() / n
            let change = done.isEmpty ? nil : done.map { $0.last!.strict - $0.first!.strict }.reduce(0, +) / n
            return SweepPointSummary(point: point, overrides: rs[0].overrides, runs: rs.count, evaluated: done.count,
                                     strict: strict, standardError: se, change: change)
        }
    }
}
