import Foundation
import Yams

/// Run configurations as YAML files (`pipelines/*.yaml`), read and written field by field from the table
/// `RunConfig.fields`: every field optional (defaults: `RunConfig()`), every field checked. An unknown key, a wrong
/// type or an out-of-range value is a `ConfigError` naming the field.
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
        var sections: [String: YAMLFields?] = [:]
        for f in RunConfig.fields {
            let parts = f.path.split(separator: ".").map(String.init)
            let holder: YAMLFields
            if parts.count == 1 {
                holder = top
            } else {
                if sections[parts[0]] == nil { sections[parts[0]] = .some(try top.section(parts[0])) }
                guard let s = sections[parts[0]]!, !parts[1].isEmpty else { continue }
                holder = s
            }
            if let v = try read(f, key: parts.last!, from: holder) { f.write(&c, v) }
        }
        for s in sections.values { try s?.finish() }
        try top.finish()
        return try validated(c)
    }

    /// The value of field `f` written under `key` in `fields` (nil when absent).
    private static func read(_ f: RunField, key: String, from fields: YAMLFields) throws -> RunFieldValue? {
        if f.kind != .rewards, !fields.has(key) {
            _ = fields.node(key)  // a known key of this section, absent: the default stays
            return nil
        }
        switch f.kind {
        case .int:
            var v = 0
            try fields.int(key, &v)
            return .int(v)
        case .uint64:
            var v: UInt64 = 0
            try fields.uint64(key, &v)
            return .uint64(v)
        case .double:
            var v = 0.0
            try fields.double(key, &v)
            return .double(v)
        case .string:
            var v = ""
            try fields.string(key, &v)
            return .string(v)
        case .bool:
            var v = false
            try fields.bool(key, &v)
            return .bool(v)
        case let .choice(words):
            var v = ""
            try fields.string(key, &v)
            guard words.contains(v) else {
                throw ConfigError(field: f.path, "must be one of \(words.joined(separator: ", ")), got \"\(v)\" — \(f.doc)")
            }
            return .string(v)
        case .window:
            return .window(try window(fields, key))
        case .rewards:
            if let n = fields.node(key) {
                let r = try YAMLFields(n, path: f.path)
                var rewards: [RewardWeight] = []
                for name in r.keys {
                    if let sub = r.node(name), case .mapping = sub {
                        // `name: {weight: W, external: true}`
                        let m = try YAMLFields(sub, path: "\(f.path).\(name)")
                        var w = 0.0, external = false
                        guard m.has("weight") else { throw ConfigError(field: "\(f.path).\(name).weight", "is required") }
                        try m.double("weight", &w)
                        try m.bool("external", &external)
                        try m.finish()
                        rewards.append(RewardWeight(name: name, weight: w, external: external))
                    } else {
                        var w = 0.0
                        try r.double(name, &w)
                        rewards.append(RewardWeight(name: name, weight: w))
                    }
                }
                try r.finish()
                return .rewards(rewards)
            } else if fields.has(key) {
                throw ConfigError(field: f.path, "must name at least one reward")
            }
            return nil
        }
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

    /// The configuration as YAML with every field of `RunConfig.fields` written out, in table order (what a run
    /// records; `decode` reads it back equal).
    public static func encode(_ c: RunConfig) -> String {
        var lines: [String] = [], section = ""
        for f in RunConfig.fields {
            let parts = f.path.split(separator: ".").map(String.init)
            let indent = parts.count > 1 ? "  " : ""
            if parts.count > 1, parts[0] != section {
                section = parts[0]
                lines.append("\(section):")
            } else if parts.count == 1 {
                section = ""
            }
            let key = parts.last!
            switch f.value(in: c) {
            case let .string(s): lines.append("\(indent)\(key): \(f.kind == .string ? quoted(s) : s)")
            case let .rewards(r):
                lines.append("\(indent)\(key):")
                lines += r.map { "\(indent)  \($0.name): \(RunField.text(of: $0))" }
            case let v: lines.append("\(indent)\(key): \(RunField.text(v))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A double-quoted YAML string.
    private static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
