import Yams

/// Reads one YAML mapping field by field with strict types: every read names the field by its dotted path, and
/// `finish()` rejects keys nobody asked for, so a misspelt option is an error instead of a silent default.
final class YAMLFields {
    let path: String
    private var values: [String: Node] = [:]
    private var order: [String] = []
    private var known: [String] = []

    /// The fields of `node`, which must be a mapping with unique scalar keys.
    init(_ node: Node, path: String) throws {
        self.path = path
        guard let mapping = node.mapping else {
            throw ConfigError(field: path, "expected a mapping of fields\(Self.at(node)), got \(Self.kind(node))")
        }
        for (k, v) in mapping {
            guard let key = k.scalar?.string else {
                throw ConfigError(field: path, "field names must be plain words\(Self.at(k))")
            }
            guard values[key] == nil else { throw ConfigError(field: field(key), "given twice\(Self.at(k))") }
            values[key] = v
            order.append(key)
        }
    }

    /// The keys in file order.
    var keys: [String] { order }

    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The raw node of `key` (nil when absent or written as null); marks the key as known.
    func node(_ key: String) -> Node? {
        known.append(key)
        guard let n = values[key] else { return nil }
        if let s = n.scalar, s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) { return nil }
        return n
    }

    /// Whether `key` is written (null counts as written).
    func has(_ key: String) -> Bool { values[key] != nil }

    func string(_ key: String, _ target: inout String) throws {
        guard let n = node(key) else { return try absentOrNull(key) }
        guard let s = n.scalar else { throw typeError(key, "a string", n) }
        target = s.string
    }

    func int(_ key: String, _ target: inout Int) throws {
        guard let n = node(key) else { return try absentOrNull(key) }
        guard let s = n.scalar, s.style == .plain, let v = Int(s.string) else { throw typeError(key, "an integer", n) }
        target = v
    }

    func uint64(_ key: String, _ target: inout UInt64) throws {
        guard let n = node(key) else { return try absentOrNull(key) }
        guard let s = n.scalar, s.style == .plain, let v = UInt64(s.string) else {
            throw typeError(key, "a non-negative integer", n)
        }
        target = v
    }

    func double(_ key: String, _ target: inout Double) throws {
        guard let n = node(key) else { return try absentOrNull(key) }
        guard let s = n.scalar, s.style == .plain, let v = Double(s.string), v.isFinite else {
            throw typeError(key, "a number", n)
        }
        target = v
    }

    func bool(_ key: String, _ target: inout Bool) throws {
        guard let n = node(key) else { return try absentOrNull(key) }
        guard let s = n.scalar, s.style == .plain else { throw typeError(key, "true or false", n) }
        switch s.string.lowercased() {
        case "true", "yes": target = true
        case "false", "no": target = false
        default: throw typeError(key, "true or false", n)
        }
    }

    /// One of an enumeration's raw values.
    func choice<E: RawRepresentable & CaseIterable>(_ key: String, _ target: inout E) throws where E.RawValue == String {
        var text = target.rawValue
        try string(key, &text)
        guard let v = E(rawValue: text) else {
            throw ConfigError(field: field(key), "must be one of \(E.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text)\"\(Self.at(values[key]))")
        }
        target = v
    }

    /// A nested mapping (nil when absent).
    func section(_ key: String) throws -> YAMLFields? {
        guard let n = node(key) else { return nil }
        return try YAMLFields(n, path: field(key))
    }

    /// Rejects every key that no read asked for.
    func finish() throws {
        let expected = Set(known)
        if let unknown = order.first(where: { !expected.contains($0) }) {
            throw ConfigError(field: field(unknown),
                              "unknown field\(Self.at(values[unknown])); fields here: \(known.joined(separator: ", "))")
        }
    }

    /// Options without a null meaning: a written null is an error, absence keeps the default.
    private func absentOrNull(_ key: String) throws {
        if values[key] != nil { throw ConfigError(field: field(key), "must have a value, got null\(Self.at(values[key]))") }
    }

    func typeError(_ key: String, _ expected: String, _ n: Node) -> ConfigError {
        ConfigError(field: field(key), "expected \(expected), got \(Self.kind(n))\(Self.at(n))")
    }

    static func kind(_ n: Node) -> String {
        switch n {
        case let .scalar(s): "\"\(s.string)\""
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    static func at(_ n: Node?) -> String {
        guard let m = n?.mark else { return "" }
        return " (line \(m.line))"
    }
}
