import Foundation
import Rewards
import Scenes
import Store
import Training

/// A run as workers see it: its row, its configuration decoded from the stored YAML and its prompt sets.
public struct RunContext: Sendable {
    public let id: Int64
    public let name: String
    public let config: RunConfig
    public let trainSet: [PromptEntry]
    public let evalSet: [PromptEntry]
    public let fingerprint: String
    public private(set) var state: String
    public private(set) var version: Int

    /// Loads run `id`; a stored configuration that no longer decodes is a permanent error.
    public static func load(_ c: Connection, id: Int64) throws -> RunContext {
        guard let row = try c.execute(RunStatements.byID(id)).single() else {
            throw PipelineError.invalid("run \(id) does not exist")
        }
        return try RunContext(row: row)
    }

    /// Loads run `id`, reusing `cache`'s decoded configuration and prompt sets while the run's fingerprint is
    /// unchanged (only its state and version are read again): decoding them costs more than a job's queue work.
    static func load(_ c: Connection, id: Int64, cache: RunContextCache) throws -> RunContext {
        guard let header = try c.execute(RunStatements.header(id)).single() else {
            throw PipelineError.invalid("run \(id) does not exist")
        }
        if var run = cache.runs[id], try run.fingerprint == header.string("fingerprint"), try run.name == header.string("name") {
            run.state = try header.string("state")
            run.version = try header.int("version")
            return run
        }
        let run = try load(c, id: id)
        cache.runs[id] = run
        return run
    }

    init(row: Row) throws {
        id = Int64(try row.int("id"))
        name = try row.string("name")
        fingerprint = try row.string("fingerprint")
        state = try row.string("state")
        version = try row.int("version")
        do {
            config = try RunConfigFile.decode(yaml: try row.string("config"))
            trainSet = try PromptSets.parse(try row.string("train_prompts"), name: "\(name): train prompts")
            evalSet = try PromptSets.parse(try row.string("eval_prompts"), name: "\(name): eval prompts")
        } catch let e as ConfigError {
            throw PipelineError.invalid("run \(name): stored configuration: \(e)")
        } catch let e as PromptError {
            throw PipelineError.invalid("run \(name): stored prompts: \(e.message)")
        }
    }

    /// The eval prompts in evaluation order (every `eval.prompt_stride`-th line).
    var evalEntries: [PromptEntry] { EvalStage.entries(of: evalSet, config: config) }

    /// Eval prompt lines per eval job: `evalShardSize` images' worth (at least one line).
    var evalShardLines: Int { max(1, evalShardSize / config.eval.samplesPerPrompt) }

    /// Eval jobs per evaluation.
    var evalShards: Int { max(1, (evalEntries.count + evalShardLines - 1) / evalShardLines) }

    /// True when an evaluation follows after `step` completed RL steps (`RunConfig.evaluates(at:evalPrompts:)`).
    func evaluates(at step: Int) -> Bool { config.evaluates(at: step, evalPrompts: evalSet.count) }
}

/// A worker's decoded runs by id (see `RunContext.load(_:id:cache:)`).
final class RunContextCache {
    var runs: [Int64: RunContext] = [:]
}
