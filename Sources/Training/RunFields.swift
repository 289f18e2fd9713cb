import GRPO
import Model
import Rewards
import Sampling

/// A value of one run-file field.
public enum RunFieldValue: Sendable, Equatable {
    case int(Int), uint64(UInt64), double(Double), string(String), bool(Bool), window(Range<Int>?)
    case rewards([RewardWeight])
}

/// What a run-file field holds, as the YAML file writes it.
public enum RunFieldKind: Sendable, Equatable {
    case int, uint64, double, string, bool, window, rewards
    /// One of these words.
    case choice([String])

    /// The type column of the docs table.
    public var name: String {
        switch self {
        case .int: "integer"
        case .uint64: "integer ≥ 0"
        case .double: "number"
        case .string: "text"
        case .bool: "true/false"
        case .window: "[start, end] or null"
        case .rewards: "name: weight, …"
        case let .choice(words): words.joined(separator: " \\| ")
        }
    }
}

/// One field of a run file: its dotted path, what it holds, the range it must lie in (as the docs and errors write
/// it), what it means, and how to read, write and check it on a `RunConfig`. `RunConfig.fields` lists every field
/// once; the YAML codec (`RunConfigFile`), `validate()` and the table in docs/grpo.md all come from that list.
public struct RunField: Sendable {
    public let path: String
    public let kind: RunFieldKind
    /// "" when any value of the kind is allowed.
    public let range: String
    public let doc: String
    let read: @Sendable (RunConfig) -> RunFieldValue
    let write: @Sendable (inout RunConfig, RunFieldValue) -> Void
    /// The range check on a whole config (a range may refer to other fields); nil: no check.
    let holds: (@Sendable (RunConfig) -> Bool)?
    /// A check with its own message, in place of `holds` (a range that depends on another field's value, a mapping).
    var rule: (@Sendable (RunConfig) throws -> Void)? = nil

    /// Throws the error naming this field when its value in `c` is out of range.
    func check(_ c: RunConfig) throws {
        if let rule { return try rule(c) }
        if let holds, !holds(c) { throw rangeError(c) }
    }

    /// This field checked by `rule` instead of its range alone.
    func checked(by rule: @escaping @Sendable (RunConfig) throws -> Void) -> RunField {
        var f = self
        f.rule = rule
        return f
    }

    /// The field's value in `c`, as the YAML file writes it.
    public func value(in c: RunConfig) -> RunFieldValue { read(c) }

    /// The value of a fresh `RunConfig()`.
    public var defaultValue: RunFieldValue { read(RunConfig()) }

    /// The error for a value out of range.
    func rangeError(_ c: RunConfig) -> ConfigError {
        let verb = range.hasPrefix("≥") || range.hasPrefix(">") || range.hasPrefix("≤") ? "must be" : "must be in"
        return ConfigError(field: path, "\(verb) \(range), got \(Self.text(read(c)))")
    }

    /// A value as the YAML file writes it.
    public static func text(_ v: RunFieldValue) -> String {
        switch v {
        case let .int(x): "\(x)"
        case let .uint64(x): "\(x)"
        case let .double(x): "\(x)"
        case let .string(s): s
        case let .bool(b): "\(b)"
        case let .window(w): w.map { "[\($0.lowerBound), \($0.upperBound)]" } ?? "null"
        case let .rewards(r): "{" + r.map { "\($0.name): \(text(of: $0))" }.joined(separator: ", ") + "}"
        }
    }

    /// One reward's value as YAML: its weight, or `{weight: W, external: true}` for an external reward.
    static func text(of r: RewardWeight) -> String {
        r.external ? "{weight: \(r.weight), external: true}" : "\(r.weight)"
    }
}

extension RunField {
    /// A field check as a check of the whole config.
    static func checking<T>(_ holds: (@Sendable (RunConfig, T) -> Bool)?,
                            _ key: WritableKeyPath<RunConfig, T>) -> (@Sendable (RunConfig) -> Bool)? {
        guard let holds else { return nil }
        nonisolated(unsafe) let key = key
        return { c in holds(c, c[keyPath: key]) }
    }

    static func int(_ path: String, _ key: WritableKeyPath<RunConfig, Int>, _ range: String, _ doc: String,
                    holds: (@Sendable (RunConfig, Int) -> Bool)? = nil) -> RunField {
        nonisolated(unsafe) let key = key
        return RunField(path: path, kind: .int, range: range, doc: doc, read: { .int($0[keyPath: key]) },
                        write: { c, v in if case let .int(x) = v { c[keyPath: key] = x } },
                        holds: Self.checking(holds, key))
    }

    static func uint64(_ path: String, _ key: WritableKeyPath<RunConfig, UInt64>, _ doc: String) -> RunField {
        nonisolated(unsafe) let key = key
        return RunField(path: path, kind: .uint64, range: "", doc: doc, read: { .uint64($0[keyPath: key]) },
                        write: { c, v in if case let .uint64(x) = v { c[keyPath: key] = x } }, holds: nil)
    }

    static func double(_ path: String, _ key: WritableKeyPath<RunConfig, Double>, _ range: String, _ doc: String,
                       holds: (@Sendable (RunConfig, Double) -> Bool)? = nil) -> RunField {
        nonisolated(unsafe) let key = key
        var finite: (@Sendable (RunConfig, Double) -> Bool)? = nil
        if let holds { finite = { c, v in v.isFinite && holds(c, v) } }
        return RunField(path: path, kind: .double, range: range, doc: doc, read: { .double($0[keyPath: key]) },
                        write: { c, v in if case let .double(x) = v { c[keyPath: key] = x } },
                        holds: Self.checking(finite, key))
    }

    static func string(_ path: String, _ key: WritableKeyPath<RunConfig, String>, _ range: String, _ doc: String,
                       holds: (@Sendable (RunConfig, String) -> Bool)? = nil) -> RunField {
        nonisolated(unsafe) let key = key
        return RunField(path: path, kind: .string, range: range, doc: doc, read: { .string($0[keyPath: key]) },
                        write: { c, v in if case let .string(x) = v { c[keyPath: key] = x } },
                        holds: Self.checking(holds, key))
    }

    static func bool(_ path: String, _ key: WritableKeyPath<RunConfig, Bool>, _ doc: String) -> RunField {
        nonisolated(unsafe) let key = key
        return RunField(path: path, kind: .bool, range: "", doc: doc, read: { .bool($0[keyPath: key]) },
                        write: { c, v in if case let .bool(x) = v { c[keyPath: key] = x } }, holds: nil)
    }

    static func choice<E: RawRepresentable & CaseIterable & Sendable>(
        _ path: String, _ key: WritableKeyPath<RunConfig, E>, _ doc: String
    ) -> RunField where E.RawValue == String {
        nonisolated(unsafe) let key = key
        return RunField(path: path, kind: .choice(E.allCases.map(\.rawValue)), range: "", doc: doc,
                        read: { .string($0[keyPath: key].rawValue) },
                        write: { c, v in if case let .string(s) = v, let e = E(rawValue: s) { c[keyPath: key] = e } },
                        holds: nil)
    }
}
