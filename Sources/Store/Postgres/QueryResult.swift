/// The rows a statement returned, decoded from PostgreSQL's binary format, and the number of rows it affected.
public struct QueryResult: Sendable {
    /// Column names, in order.
    public let columns: [String]
    /// The rows.
    public let rows: [Row]
    /// Rows inserted, updated or deleted (0 for a SELECT).
    public let affectedRows: Int

    /// The only row (nil when there is none); more than one row is an error.
    public func single() throws -> Row? {
        guard rows.count <= 1 else { throw StoreError.decoding("expected at most one row, got \(rows.count)") }
        return rows.first
    }
}

/// One result row: values by column position or name, read through typed accessors that say what went wrong.
public struct Row: Sendable {
    /// Column names, shared by every row of a result.
    public let columns: [String]
    /// The values, in column order.
    public let values: [SQLValue]

    /// The value of `column` (an error names the column when the result has none of that name).
    public func value(_ column: String) throws -> SQLValue {
        guard let i = columns.firstIndex(of: column) else {
            throw StoreError.decoding("no column \"\(column)\" in the result (columns: \(columns.joined(separator: ", ")))")
        }
        return values[i]
    }

    public func int(_ column: String) throws -> Int {
        guard let v = try optionalInt(column) else { throw StoreError.decoding("column \"\(column)\" is NULL") }
        return v
    }

    public func optionalInt(_ column: String) throws -> Int? {
        switch try value(column) {
        case .null: return nil
        case .int(let i): return Int(i)
        case let v: throw mismatch(column, "an integer", v)
        }
    }

    public func double(_ column: String) throws -> Double {
        guard let v = try optionalDouble(column) else { throw StoreError.decoding("column \"\(column)\" is NULL") }
        return v
    }

    public func optionalDouble(_ column: String) throws -> Double? {
        switch try value(column) {
        case .null: return nil
        case .double(let d): return d
        case .int(let i): return Double(i)
        case let v: throw mismatch(column, "a number", v)
        }
    }

    public func string(_ column: String) throws -> String {
        guard let v = try optionalString(column) else { throw StoreError.decoding("column \"\(column)\" is NULL") }
        return v
    }

    /// Text, or JSON text for `json`/`jsonb` columns.
    public func optionalString(_ column: String) throws -> String? {
        switch try value(column) {
        case .null: return nil
        case .text(let s), .jsonb(let s): return s
        case let v: throw mismatch(column, "text", v)
        }
    }

    public func bool(_ column: String) throws -> Bool {
        switch try value(column) {
        case .bool(let b): return b
        case let v: throw mismatch(column, "a boolean", v)
        }
    }

    public func bytes(_ column: String) throws -> [UInt8] {
        guard let v = try optionalBytes(column) else { throw StoreError.decoding("column \"\(column)\" is NULL") }
        return v
    }

    public func optionalBytes(_ column: String) throws -> [UInt8]? {
        switch try value(column) {
        case .null: return nil
        case .bytes(let b): return b
        case let v: throw mismatch(column, "bytea", v)
        }
    }

    /// A `timestamptz` in microseconds since 2000-01-01 UTC.
    public func optionalTimestamp(_ column: String) throws -> Int64? {
        switch try value(column) {
        case .null: return nil
        case .timestamp(let t): return t
        case let v: throw mismatch(column, "a timestamp", v)
        }
    }

    private func mismatch(_ column: String, _ expected: String, _ got: SQLValue) -> StoreError {
        .decoding("column \"\(column)\": expected \(expected), got \(got)")
    }
}
