/// A statement with its parameters. Written as a string literal, every interpolated value becomes a `$n` bind
/// (postgres-nio's `PostgresQuery` idea): `"SELECT * FROM runs WHERE name = \(name)"` sends `$1` and binds `name`.
/// Text that must be spliced in (an identifier known at compile time) goes through `\(unsafe:)`.
public struct SQL: Sendable, ExpressibleByStringInterpolation {
    /// The statement text with `$1 … $n` placeholders.
    public private(set) var text: String
    /// The values of `$1 … $n`.
    public private(set) var binds: [SQLValue]

    /// A statement from raw text and explicit binds; the text must use `$n` placeholders for every value.
    public init(unsafeSQL text: String, binds: [SQLValue] = []) {
        self.text = text
        self.binds = binds
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: Interpolation) {
        self.init(unsafeSQL: stringInterpolation.text, binds: stringInterpolation.binds)
    }

    /// Builds the text and the binds of a literal.
    public struct Interpolation: StringInterpolationProtocol {
        var text = ""
        var binds: [SQLValue] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + 4 * interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            text += literal
        }

        /// Binds `value` as the next parameter.
        public mutating func appendInterpolation(_ value: some SQLBindable) {
            binds.append(value.sqlValue)
            text += "$\(binds.count)"
        }

        /// Binds an optional: NULL of the wrapped type when nil.
        public mutating func appendInterpolation<T: SQLBindable>(_ value: T?) {
            binds.append(value.sqlValue)
            text += "$\(binds.count)"
        }

        /// Binds rows of values as a VALUES list, `($1, $2), ($3, $4)`: one statement writes many rows. Every row
        /// must have the same number of values, and there must be at least one row.
        public mutating func appendInterpolation(rows: [[SQLValue]]) {
            precondition(!rows.isEmpty && rows.allSatisfy { $0.count == rows[0].count }, "a VALUES list of uneven rows")
            text += rows.map { row in
                "(" + row.map { v in
                    binds.append(v)
                    return "$\(binds.count)"
                }.joined(separator: ", ") + ")"
            }.joined(separator: ", ")
        }

        /// Splices trusted text (a table or column name fixed in code) into the statement.
        public mutating func appendInterpolation(unsafe raw: String) {
            text += raw
        }
    }
}
