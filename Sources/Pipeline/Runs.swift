import Foundation
import Model
import Scenes
import Store
import Training

/// A run's row as `run list` and `run status` show it.
public struct RunSummary: Sendable {
    public let id: Int64
    public let name: String
    public let state: RunState
    public let reason: String?
    public let steps: Int
    /// RL steps whose train stage committed.
    public let version: Int

    init(row: Row) throws {
        id = Int64(try row.int("id"))
        name = try row.string("name")
        let name = try row.string("state")
        guard let state = RunState(rawValue: name) else { throw PipelineError.corrupt("run in an unknown state \"\(name)\"") }
        self.state = state
        reason = try row.optionalString("reason")
        steps = try row.int("steps")
        version = try row.int("version")
    }
}

/// A run ready to be written: its validated configuration, its prompt sets as text and its base model's bytes.
public struct RunSubmission: Sendable {
    public var config: RunConfig
    public let trainPrompts: String
    public let evalPrompts: String
    /// The base model as a checkpoint file (the step-0 policy).
    public let baseModel: [UInt8]
}

/// Submitting and steering runs. Every change is one transaction; the run row is the lock that orders a pause
/// against completions that enqueue.
public struct Runs {
    public let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// Validates `config` (and its prompt files and base model) fully before writing anything, then in one
    /// transaction writes the run, the base model as the step-0 policy, and the first jobs (plan 0 and the
    /// baseline evaluation). A name in use is an error.
    @discardableResult
    public func submit(config: RunConfig) throws -> RunSummary {
        let submission = try Runs.prepare(config)
        return try connection.transaction { c in try Runs.insert(submission, into: c) }
    }

    /// Everything a run needs, read and validated: the prompt sets (non-empty, every prompt tokenisable), the
    /// rewards, and the base model. Errors name the field.
    public static func prepare(_ config: RunConfig) throws -> RunSubmission {
        var none: [String: [UInt8]] = [:]
        return try prepare(config, baseModels: &none)
    }

    /// The same, reusing the serialized base models in `baseModels` (by `model.base` path) and adding the ones it
    /// reads: the runs of a sweep share one copy of their base model in memory.
    public static func prepare(_ config: RunConfig, baseModels: inout [String: [UInt8]]) throws -> RunSubmission {
        try config.validate()
        let trainText = try readPrompts(config.prompts.train, field: "prompts.train")
        let evalText = try readPrompts(config.prompts.eval, field: "prompts.eval")
        let trainSet = try PromptSets.parse(trainText, name: config.prompts.train)
        let evalSet = try PromptSets.parse(evalText, name: config.prompts.eval)
        guard !trainSet.isEmpty else { throw ConfigError(field: "prompts.train", "the train prompt set is empty") }
        for e in trainSet + evalSet { _ = try Tokenizer.encode(e.prompt) }
        _ = try config.internalRewards()
        try config.checkRewardsFit(trainSet, file: config.prompts.train)
        if baseModels[config.model.base] == nil {
            let base: FlowUNet
            do { base = try Checkpoint.load(path: config.model.base).model } catch let e as ModelError {
                throw ConfigError(field: "model.base", e.message)
            }
            baseModels[config.model.base] = try Checkpoint.serialized(base, step: 0)
        }
        return RunSubmission(config: config, trainPrompts: trainText, evalPrompts: evalText,
                             baseModel: baseModels[config.model.base]!)
    }

    /// Writes a prepared run and its first jobs on `c`, inside the caller's transaction.
    static func insert(_ s: RunSubmission, into c: Connection) throws -> RunSummary {
        let config = s.config
        if try c.execute(RunStatements.byName(config.name)).rows.count > 0 {
            throw PipelineError.invalid("a run named \"\(config.name)\" exists already (pick another --name)")
        }
        let id = Int64(try c.execute(RunStatements.insert(
            name: config.name, config: RunConfigFile.encode(config), fingerprint: config.fingerprint,
            trainPrompts: s.trainPrompts, evalPrompts: s.evalPrompts, steps: config.steps)).rows[0].int("id"))
        try c.execute(CheckpointStatements.insert(runID: id, step: 0, kind: .policy, data: s.baseModel))
        let run = try RunContext.load(c, id: id)
        try StageGraphWriter(connection: c, run: run).startStep(0, held: false)
        return try RunSummary(row: try c.execute(RunStatements.byID(id)).rows[0])
    }

    /// The run called `name`.
    public func find(_ name: String) throws -> RunSummary {
        guard let row = try connection.execute(RunStatements.byName(name)).single() else {
            throw PipelineError.noSuchRun(name)
        }
        return try RunSummary(row: row)
    }

    public func list() throws -> [RunSummary] {
        try connection.execute(RunStatements.list).rows.map(RunSummary.init)
    }

    /// Holds the run's claimable jobs; running jobs finish and enqueue what follows as held.
    public func pause(_ name: String, reason: String = "paused by the user") throws {
        try change(name, from: [.active], to: .paused, reason: reason) { c, id in
            try c.execute(JobStatements.hold(runID: id))
        }
    }

    /// Releases a paused run's jobs, and gives its failed jobs a fresh set of attempts.
    public func resume(_ name: String) throws {
        try change(name, from: [.paused], to: .active, reason: nil) { c, id in
            try c.execute(JobStatements.retryFailed(runID: id))
            try c.execute(JobStatements.unhold(runID: id))
            try c.execute(JobStatements.notify)
        }
    }

    /// Cancels the run: its unfinished jobs are cancelled and running jobs' completions will be rejected.
    public func cancel(_ name: String) throws {
        try change(name, from: [.active, .paused], to: .cancelled, reason: "cancelled by the user") { c, id in
            try c.execute(JobStatements.cancel(runID: id))
        }
    }

    /// Moves run `name` from one of `from` to `to` under its row lock, then applies `jobs` to its jobs, in one
    /// transaction; a run in another state is an error that changes nothing.
    private func change(_ name: String, from: [RunState], to: RunState, reason: String?,
                        jobs: (Connection, Int64) throws -> Void) throws {
        let id = try find(name).id
        try connection.transaction { c in
            let state = try c.execute(RunStatements.lock(id)).rows.first?.string("state") ?? "gone"
            guard try c.execute(RunStatements.transition(id: id, from: from, to: to, reason: reason)).affectedRows == 1 else {
                throw PipelineError.invalid("run \(name) is \(state), not \(from.map(\.rawValue).joined(separator: " or "))")
            }
            try jobs(c, id)
        }
    }

    private static func readPrompts(_ path: String, field: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(field: field, "cannot read \(path)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
