import Foundation
import Yams

/// A sweep file (docs/sweeps.md): a base run file and the points to run it at, each once per seed.
///
/// ```yaml
/// name: lr-timesteps              # runs are named <name>-<point>-s<seed>
/// run: pipelines/geneval-cps.yaml # the base run file (paths as on the command line)
/// set: {steps: 60, eval.samples_per_prompt: 4}   # overrides of every point
/// seeds: [0, 1]                   # the run file's `seed` of each repetition
/// grid:                           # every combination of these values …
///   train.lr: [1e-4, 3e-4]
///   train.timesteps: [first, random]
/// points:                         # … or an explicit list of override sets (not both)
///   - {train.lr: 1e-4}
/// ```
///
/// Overrides apply in order: the run file, `set`, the point, then `seed` and `name`. Every run is decoded and
/// validated here, so a bad value is reported before anything is submitted.
public struct SweepFile: Sendable {
    /// One run of the sweep.
    public struct Member: Sendable {
        /// The point's number (1-based, in file order; grid points vary the last field fastest).
        public var point: Int
        public var seed: UInt64
        /// The point's own overrides as `path=value` (without `set`, seed and name), for tables.
        public var overrides: [String]
        /// The run, resolved and validated (named `<sweep>-<point>-s<seed>`).
        public var config: RunConfig
    }

    public var name: String
    public var runFile: String
    public var members: [Member]

    /// Reads and resolves a sweep file.
    public static func load(path: String) throws -> SweepFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(field: "", "cannot read sweep file \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ConfigError(field: "", "\(path) is not UTF-8 text") }
        do {
            return try decode(yaml: text)
        } catch let e as ConfigError {
            throw ConfigError(field: e.field, e.field.isEmpty ? "\(path): \(e.message)" : "\(e.message) (sweep file \(path))")
        }
    }

    /// Most runs one sweep may submit.
    public static let maximumRuns = 256

    /// Resolves sweep YAML: every member's run file is read from `run` (a path relative to the working directory).
    public static func decode(yaml: String) throws -> SweepFile {
        let root: Node
        do { root = try Yams.compose(yaml: yaml) ?? Node([(Node, Node)]()) } catch let e as YamlError {
            throw ConfigError(field: "", "not valid YAML: \(e)")
        }
        guard let map = root.mapping else { throw ConfigError(field: "", "a sweep file is a mapping (name, run, seeds, grid or points)") }
        let known: Set<String> = ["name", "run", "set", "seeds", "grid", "points"]
        for (k, _) in map {
            guard let key = k.scalar?.string, known.contains(key) else {
                throw ConfigError(field: k.scalar?.string ?? "?", "unknown key; a sweep file has: name, run, set, seeds, grid, points")
            }
        }
        guard let name = map["name"]?.scalar?.string, !name.isEmpty else {
            throw ConfigError(field: "name", "the sweep needs a name (its runs are named <name>-<point>-s<seed>)")
        }
        guard let runFile = map["run"]?.scalar?.string, !runFile.isEmpty else {
            throw ConfigError(field: "run", "the sweep needs its base run file, e.g. run: pipelines/geneval-cps.yaml")
        }
        guard FileManager.default.isReadableFile(atPath: runFile) else {
            throw ConfigError(field: "run", "cannot read the run file \(runFile) (paths are relative to the working directory)")
        }
        let common = try overrides(map["set"], field: "set")
        var seeds: [UInt64] = []
        if let s = map["seeds"] {
            guard let items = s.sequence, !items.isEmpty else { throw ConfigError(field: "seeds", "must be a non-empty list of seeds") }
            for item in items {
                guard let v = item.scalar.flatMap({ UInt64($0.string) }) else {
                    throw ConfigError(field: "seeds", "\"\(item.scalar?.string ?? "?")\" is not a seed (an integer ≥ 0)")
                }
                guard !seeds.contains(v) else { throw ConfigError(field: "seeds", "seed \(v) is given twice") }
                seeds.append(v)
            }
        }
        var points: [[String]]
        switch (map["grid"], map["points"]) {
        case (.some, .some): throw ConfigError(field: "grid", "give either grid or points, not both")
        case let (.some(grid), nil):
            guard let axes = grid.mapping, !axes.isEmpty else { throw ConfigError(field: "grid", "must map fields to lists of values") }
            points = [[]]
            for (k, v) in axes {
                let path = k.scalar?.string ?? "?"
                guard let values = v.sequence, !values.isEmpty else {
                    throw ConfigError(field: "grid.\(path)", "must be a non-empty list of values")
                }
                let settings = try values.map { "\(path)=\(try text(of: $0))" }
                points = points.flatMap { p in settings.map { p + [$0] } }
            }
        case let (nil, .some(list)):
            guard let items = list.sequence, !items.isEmpty else { throw ConfigError(field: "points", "must be a non-empty list") }
            points = try items.enumerated().map { i, item in try overrides(item, field: "points[\(i + 1)]") }
        case (nil, nil): points = [[]]
        }
        var members: [Member] = []
        for (i, point) in points.enumerated() {
            for seed in seeds.isEmpty ? [nil] : seeds.map(Optional.some) {
                let runName = "\(name)-\(i + 1)" + (seed.map { "-s\($0)" } ?? "")
                let all = common + point + (seed.map { ["seed=\($0)"] } ?? []) + ["name=\(runName)"]
                let config: RunConfig
                do { config = try RunConfigFile.load(path: runFile, overrides: all) } catch let e as ConfigError {
                    let what = point.isEmpty ? "point \(i + 1)" : "point \(i + 1) (\(point.joined(separator: ", ")))"
                    throw ConfigError(field: e.field, "\(what): \(e.message)")
                }
                members.append(Member(point: i + 1, seed: config.seed, overrides: point, config: config))
            }
        }
        guard members.count <= maximumRuns else {
            throw ConfigError(field: "grid", "the sweep has \(members.count) runs; at most \(maximumRuns)")
        }
        return SweepFile(name: name, runFile: runFile, members: members)
    }

    /// A mapping of field paths to values as `path=value` overrides (nil: none).
    static func overrides(_ node: Node?, field: String) throws -> [String] {
        guard let node else { return [] }
        guard let map = node.mapping else { throw ConfigError(field: field, "must map field paths to values, e.g. {train.lr: 1e-4}") }
        return try map.map { k, v in
            guard let path = k.scalar?.string, !path.isEmpty else { throw ConfigError(field: field, "a key is not a field path") }
            guard path != "name" else { throw ConfigError(field: "\(field).name", "runs of a sweep are named by the sweep") }
            return "\(path)=\(try text(of: v))"
        }
    }

    /// A YAML value as override text (flow style for lists and maps).
    static func text(of node: Node) throws -> String {
        if let s = node.scalar { return s.string }
        do { return try Yams.serialize(node: node).trimmingCharacters(in: .whitespacesAndNewlines) } catch {
            throw ConfigError(field: "", "cannot write a value back as YAML: \(error)")
        }
    }
}
