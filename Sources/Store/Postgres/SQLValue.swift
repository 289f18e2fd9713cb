import Foundation

/// A value bound to a statement parameter or read from a result column. Every bind travels in PostgreSQL's binary
/// format with an explicit type, so nothing is ever spliced into SQL text.
public enum SQLValue: Sendable, Equatable {
    case null
    /// NULL declared as a type (an optional Swift value that is nil), so `$1 IS NULL` needs no cast.
    case typedNull(UInt32)
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case text(String)
    case bytes([UInt8])
    /// A `jsonb` document, as JSON text.
    case jsonb(String)
    /// A `timestamptz`, in microseconds since 2000-01-01 00:00 UTC (PostgreSQL's own epoch).
    case timestamp(Int64)

    /// The timestamp as a Foundation date.
    public static func timestamp(_ date: Date) -> SQLValue {
        .timestamp(Int64(((date.timeIntervalSince1970 - postgresEpoch) * 1e6).rounded()))
    }

    /// Seconds from 1970-01-01 to 2000-01-01.
    static let postgresEpoch: TimeInterval = 946_684_800

    /// The PostgreSQL type OID the bind declares (0: let the server infer, for NULL).
    var typeOID: UInt32 {
        switch self {
        case .null: 0
        case .typedNull(let oid): oid
        case .bool: PostgresType.bool
        case .int: PostgresType.int8
        case .double: PostgresType.float8
        case .text: PostgresType.text
        case .bytes: PostgresType.bytea
        case .jsonb: PostgresType.jsonb
        case .timestamp: PostgresType.timestamptz
        }
    }

    /// The binary wire encoding of the bind (nil for NULL).
    var binary: [UInt8]? {
        switch self {
        case .null, .typedNull: return nil
        case .bool(let b): return [b ? 1 : 0]
        case .int(let i): return bigEndianBytes(UInt64(bitPattern: i))
        case .double(let d): return bigEndianBytes(d.bitPattern)
        case .text(let s): return Array(s.utf8)
        case .bytes(let b): return b
        case .jsonb(let s): return [1] + Array(s.utf8)
        case .timestamp(let us): return bigEndianBytes(UInt64(bitPattern: us))
        }
    }
}

/// Type OIDs of the built-in types the store reads and writes (`pg_type.oid`, fixed since PostgreSQL 7).
enum PostgresType {
    static let bool: UInt32 = 16
    static let bytea: UInt32 = 17
    static let name: UInt32 = 19
    static let int8: UInt32 = 20
    static let int2: UInt32 = 21
    static let int4: UInt32 = 23
    static let text: UInt32 = 25
    static let oid: UInt32 = 26
    static let json: UInt32 = 114
    static let float4: UInt32 = 700
    static let float8: UInt32 = 701
    static let bpchar: UInt32 = 1042
    static let varchar: UInt32 = 1043
    static let timestamp: UInt32 = 1114
    static let timestamptz: UInt32 = 1184
    static let void: UInt32 = 2278
    static let jsonb: UInt32 = 3802
}

func bigEndianBytes(_ v: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * UInt64($0))) }
}

func bigEndianInteger(_ p: UnsafeRawBufferPointer) -> UInt64 {
    p.reduce(0) { $0 << 8 | UInt64($1) }
}

/// A Swift value that binds as a statement parameter.
public protocol SQLBindable {
    /// The value as sent to the server.
    var sqlValue: SQLValue { get }
    /// The PostgreSQL type the value binds as (declared for NULLs of this type too).
    static var sqlTypeOID: UInt32 { get }
}

extension SQLValue: SQLBindable {
    public var sqlValue: SQLValue { self }
    public static var sqlTypeOID: UInt32 { 0 }
}
extension Bool: SQLBindable {
    public var sqlValue: SQLValue { .bool(self) }
    public static var sqlTypeOID: UInt32 { PostgresType.bool }
}
extension Int: SQLBindable {
    public var sqlValue: SQLValue { .int(Int64(self)) }
    public static var sqlTypeOID: UInt32 { PostgresType.int8 }
}
extension Int64: SQLBindable {
    public var sqlValue: SQLValue { .int(self) }
    public static var sqlTypeOID: UInt32 { PostgresType.int8 }
}
extension Int32: SQLBindable {
    public var sqlValue: SQLValue { .int(Int64(self)) }
    public static var sqlTypeOID: UInt32 { PostgresType.int8 }
}
extension UInt64: SQLBindable {
    /// Bound as the int8 with the same bits (seeds and hashes use all 64).
    public var sqlValue: SQLValue { .int(Int64(bitPattern: self)) }
    public static var sqlTypeOID: UInt32 { PostgresType.int8 }
}
extension Double: SQLBindable {
    public var sqlValue: SQLValue { .double(self) }
    public static var sqlTypeOID: UInt32 { PostgresType.float8 }
}
extension Float: SQLBindable {
    public var sqlValue: SQLValue { .double(Double(self)) }
    public static var sqlTypeOID: UInt32 { PostgresType.float8 }
}
extension String: SQLBindable {
    public var sqlValue: SQLValue { .text(self) }
    public static var sqlTypeOID: UInt32 { PostgresType.text }
}
extension Substring: SQLBindable {
    public var sqlValue: SQLValue { .text(String(self)) }
    public static var sqlTypeOID: UInt32 { PostgresType.text }
}
extension Array: SQLBindable where Element == UInt8 {
    public var sqlValue: SQLValue { .bytes(self) }
    public static var sqlTypeOID: UInt32 { PostgresType.bytea }
}
extension Date: SQLBindable {
    public var sqlValue: SQLValue { .timestamp(self) }
    public static var sqlTypeOID: UInt32 { PostgresType.timestamptz }
}
extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .typedNull(Wrapped.sqlTypeOID) }
    public static var sqlTypeOID: UInt32 { Wrapped.sqlTypeOID }
}
