import Foundation
import Training
import Yams

/// Run configurations as YAML files (`pipelines/*.yaml`): every field optional (defaults: `RunConfig()`), every
/// field checked. An unknown key, a wrong type or an out-of-range value is a `ConfigError` naming the field.
public enum RunConfigFile {
    /// Reads and validates a file.
    public static func load(path: String, overrides: [String] = []) throws -> RunConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(field: "", "cannot read run configuration \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(field: "", "\(path) is not UTF-8 text")
        }
        do {
            return try decode(yaml: text, overrides: overrides)
        } catch let e as ConfigError {
            throw ConfigError(field: e.field, e.field.isEmpty ? "\(path): \(e.message)" : "\(e.message) in \(path)")
        }
    }

    /// Decodes and validates YAML text; `overrides` ("train.lr=2e-5", the value itself YAML) replace or add fields
    /// before decoding, as if written in the file.
    public static func decode(yaml: String, overrides: [String] = []) throws -> RunConfig {
        var root: Node
        do {
            root = try Yams.compose(yaml: yaml) ?? Node([(Node, Node)]())
            for o in overrides {
                guard let eq = o.firstIndex(of: "="), eq != o.startIndex else {
                    throw ConfigError(field: "", "override \"\(o)\" must be field.path=value")
                }
                let path = o[..<eq].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                guard path.allSatisfy({ !$0.isEmpty }) else {
                    throw ConfigError(field: "", "override \"\(o)\" has an empty field name")
                }
                let value = try Yams.compose(yaml: String(o[o.index(after: eq)...])) ?? Node("null")
                guard root.mapping != nil else { break }
                root = setting(root, path: path[...], to: value)
            }
        } catch let e as YamlError {
            throw ConfigError(field: "", "not valid YAML: \(e)")
        }
        var c = RunConfig()
        let top = try YAMLFields(root, path: "")
        try top.string("name", &c.name)
        try top.uint64("seed", &c.seed)
        try top.int("steps", &c.steps)
        try top.int("checkpoint_every", &c.checkpointEvery)
        if let m = try top.section("model") {
            try m.string("base", &c.model.base)
            try m.int("threads", &c.model.threads)
            try m.finish()
        }
        if let p = try top.section("prompts") {
            try p.string("train", &c.prompts.train)
            try p.string("eval", &c.prompts.eval)
            try p.finish()
        }
        if let s = try top.section("sampler") {
            try s.string("kind", &c.sampler.kind)
            try s.double("noise", &c.sampler.noise)
            try s.int("steps", &c.sampler.steps)
            try s.choice("grid", &c.sampler.grid)
            try s.double("shift", &c.sampler.shift)
            try s.double("guidance", &c.sampler.guidance)
            try s.choice("log_prob", &c.sampler.logProb)
            c.sampler.sdeWindow = try window(s, "sde_window")
            try s.bool("shared_initial_noise", &c.sampler.sharedInitialNoise)
            try s.finish()
        }
        if let g = try top.section("group") {
            try g.int("size", &c.group.size)
            try g.int("prompts_per_step", &c.group.promptsPerStep)
            try g.int("prompts_per_shard", &c.group.promptsPerShard)
            try g.finish()
        }
        if let n = top.node("rewards") {
            let r = try YAMLFields(n, path: "rewards")
            c.rewards = []
            for name in r.keys {
                var w = 0.0
                try r.double(name, &w)
                c.rewards.append(RewardWeight(name: name, weight: w))
            }
            try r.finish()
        } else if top.has("rewards") {
            throw ConfigError(field: "rewards", "must name at least one reward")
        }
        if let a = try top.section("advantage") {
            try a.choice("std", &c.advantage.std)
            try a.double("clip", &c.advantage.clip)
            try a.finish()
        }
        if let t = try top.section("train") {
            try t.double("lr", &c.train.lr)
            try t.choice("schedule", &c.train.schedule)
            try t.int("warmup_steps", &c.train.warmupSteps)
            try t.double("min_lr", &c.train.minLR)
            try t.double("weight_decay", &c.train.weightDecay)
            try t.double("grad_clip", &c.train.gradClip)
            try t.double("clip_range", &c.train.clipRange)
            try t.double("beta", &c.train.beta)
            try t.choice("kl_form", &c.train.klForm)
            try t.int("mini_batches", &c.train.miniBatches)
            try t.choice("timesteps", &c.train.timesteps)
            try t.double("timestep_fraction", &c.train.timestepFraction)
            try t.bool("cfg", &c.train.cfg)
            try t.finish()
        }
        if let e = try top.section("ema") {
            try e.bool("enabled", &c.ema.enabled)
            try e.double("decay", &c.ema.decay)
            try e.int("every", &c.ema.every)
            try e.finish()
        }
        if let e = try top.section("eval") {
            try e.int("every", &c.eval.every)
            try e.int("steps", &c.eval.steps)
            try e.choice("grid", &c.eval.grid)
            try e.double("shift", &c.eval.shift)
            try e.double("guidance", &c.eval.guidance)
            try e.uint64("seed", &c.eval.seed)
            try e.int("prompt_stride", &c.eval.promptStride)
            try e.finish()
        }
        try top.finish()
        return try validated(c)
    }

    /// `node` with the field at `path` set to `value` (mappings created on the way).
    private static func setting(_ node: Node, path: ArraySlice<String>, to value: Node) -> Node {
        guard let key = path.first else { return value }
        var pairs: [(Node, Node)] = node.mapping.map { m in m.map { ($0.key, $0.value) } } ?? []
        if let i = pairs.firstIndex(where: { $0.0.scalar?.string == key }) {
            pairs[i].1 = setting(pairs[i].1, path: path.dropFirst(), to: value)
        } else {
            pairs.append((Node(key), setting(Node([(Node, Node)]()), path: path.dropFirst(), to: value)))
        }
        return Node(pairs)
    }

    private static func validated(_ c: RunConfig) throws -> RunConfig {
        try c.validate()
        return c
    }

    /// `[start, end]` (end exclusive) or null.
    private static func window(_ s: YAMLFields, _ key: String) throws -> Range<Int>? {
        guard let n = s.node(key) else { return nil }
        guard let items = n.sequence, items.count == 2,
              let a = items[0].scalar.flatMap({ Int($0.string) }), let b = items[1].scalar.flatMap({ Int($0.string) })
        else { throw s.typeError(key, "[start, end] (two integers, end exclusive) or null", n) }
        guard a < b else {
            throw ConfigError(field: s.field(key), "start must be below end, got [\(a), \(b)]")
        }
        return a..<b
    }

    /// The configuration as YAML with every field written out (what a run records; `decode` reads it back equal).
    public static func encode(_ c: RunConfig) -> String {
        func num(_ x: Double) -> String { "\(x)" }
        let window = c.sampler.sdeWindow.map { "[\($0.lowerBound), \($0.upperBound)]" } ?? "null"
        var lines = [
            "name: \(quoted(c.name))",
            "seed: \(c.seed)",
            "steps: \(c.steps)",
            "checkpoint_every: \(c.checkpointEvery)",
            "model:",
            "  base: \(quoted(c.model.base))",
            "  threads: \(c.model.threads)",
            "prompts:",
            "  train: \(quoted(c.prompts.train))",
            "  eval: \(quoted(c.prompts.eval))",
            "sampler:",
            "  kind: \(c.sampler.kind)",
            "  noise: \(num(c.sampler.noise))",
            "  steps: \(c.sampler.steps)",
            "  grid: \(c.sampler.grid.rawValue)",
            "  shift: \(num(c.sampler.shift))",
            "  guidance: \(num(c.sampler.guidance))",
            "  log_prob: \(c.sampler.logProb.rawValue)",
            "  sde_window: \(window)",
            "  shared_initial_noise: \(c.sampler.sharedInitialNoise)",
            "group:",
            "  size: \(c.group.size)",
            "  prompts_per_step: \(c.group.promptsPerStep)",
            "  prompts_per_shard: \(c.group.promptsPerShard)",
            "rewards:",
        ]
        lines += c.rewards.map { "  \($0.name): \(num($0.weight))" }
        lines += [
            "advantage:",
            "  std: \(c.advantage.std.rawValue)",
            "  clip: \(num(c.advantage.clip))",
            "train:",
            "  lr: \(num(c.train.lr))",
            "  schedule: \(c.train.schedule.rawValue)",
            "  warmup_steps: \(c.train.warmupSteps)",
            "  min_lr: \(num(c.train.minLR))",
            "  weight_decay: \(num(c.train.weightDecay))",
            "  grad_clip: \(num(c.train.gradClip))",
            "  clip_range: \(num(c.train.clipRange))",
            "  beta: \(num(c.train.beta))",
            "  kl_form: \(c.train.klForm.rawValue)",
            "  mini_batches: \(c.train.miniBatches)",
            "  timesteps: \(c.train.timesteps.rawValue)",
            "  timestep_fraction: \(num(c.train.timestepFraction))",
            "  cfg: \(c.train.cfg)",
            "ema:",
            "  enabled: \(c.ema.enabled)",
            "  decay: \(num(c.ema.decay))",
            "  every: \(c.ema.every)",
            "eval:",
            "  every: \(c.eval.every)",
            "  steps: \(c.eval.steps)",
            "  grid: \(c.eval.grid.rawValue)",
            "  shift: \(num(c.eval.shift))",
            "  guidance: \(num(c.eval.guidance))",
            "  seed: \(c.eval.seed)",
            "  prompt_stride: \(c.eval.promptStride)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// A double-quoted YAML string.
    private static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
