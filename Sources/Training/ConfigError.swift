/// An invalid run configuration: the field (as written in the YAML file, dotted: `train.lr`) and what is wrong.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Dotted path of the offending field ("" for the whole file).
    public let field: String
    public let message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}
