import CLibPQ
import Foundation

/// One libpq connection. It owns its handle (closed in `deinit`), sends every value as a typed binary bind and
/// decodes results into `SQLValue`s. Not thread-safe: each thread or worker loop opens its own.
public final class Connection {
    private var handle: OpaquePointer?
    /// The libpq connection string or URL this connection was opened with.
    public let url: String

    /// Liveness defaults every connection starts from (audit M1); a URL that sets one of them wins. A connect gives
    /// up after 10 s, and a silent peer is noticed within about a minute (TCP keepalives and user timeout) instead of
    /// the kernel's retransmission time.
    static let livenessDefaults: [(String, String)] = [
        ("connect_timeout", "10"), ("keepalives", "1"), ("keepalives_idle", "30"), ("keepalives_interval", "10"),
        ("keepalives_count", "3"), ("tcp_user_timeout", "60000"),
    ]

    /// Connects to `url` (a libpq URL or key=value string); an unreachable server throws `.connection` with one line.
    public init(url: String) throws {
        self.url = url
        // Keywords are applied in order, the expanded URL last, so what the URL says overrides the defaults.
        let pairs = Connection.livenessDefaults + [("dbname", url)]
        handle = Connection.withCStrings(pairs.map(\.0)) { keys in
            Connection.withCStrings(pairs.map(\.1)) { values in PQconnectdbParams(keys, values, 1) }
        }
        guard let h = handle, PQstatus(h) == CONNECTION_OK else {
            let message = handle.map { Connection.oneLine(PQerrorMessage($0)) } ?? "out of memory"
            if let h = handle { PQfinish(h) }
            handle = nil
            throw StoreError.connection(message)
        }
        // Server notices ("relation already exists, skipping") are not errors: keep them off stderr.
        PQsetNoticeProcessor(h, { _, _ in }, nil)
    }

    /// Connects, retrying with exponential backoff while the server is unreachable (starting up, restarting).
    public static func open(url: String, retry: RetryPolicy = .default,
                            onRetry: (StoreError, TimeInterval) -> Void = { _, _ in }) throws -> Connection {
        var attempt = 0
        while true {
            do {
                return try Connection(url: url)
            } catch let e as StoreError {
                attempt += 1
                guard let wait = retry.delay(afterFailure: attempt) else { throw e }
                onRetry(e, wait)
                Thread.sleep(forTimeInterval: wait)
            }
        }
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// Hardens a session that runs queue work (audit H1, M1): the search path is pinned to `pg_catalog`, the
    /// session's own schema and `pg_temp`, in that order, so no function planted elsewhere can stand in for a
    /// built-in; a statement running longer than `statementTimeout` seconds, or a transaction left idle longer than
    /// `idleInTransactionTimeout`, is ended by the server instead of holding locks (and so a run) indefinitely.
    public func secure(statementTimeout: Double, idleInTransactionTimeout: Double) throws {
        try execute("""
            SELECT pg_catalog.set_config('search_path', 'pg_catalog, '
                       || pg_catalog.quote_ident(coalesce(pg_catalog.current_schema(), 'public'::name)::text)
                       || ', pg_temp', false),
                   pg_catalog.set_config('statement_timeout', \(String(Int(statementTimeout * 1000)))::text, false),
                   pg_catalog.set_config('idle_in_transaction_session_timeout',
                                         \(String(Int(idleInTransactionTimeout * 1000)))::text, false)
            """)
    }

    /// NUL-terminated C arrays of `strings` (with a trailing NULL) for libpq's keyword/value calls.
    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers = copies.map { UnsafePointer($0) } + [nil]
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// True while the connection is open and usable.
    public var isHealthy: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// The server's process id for this session (for `pg_terminate_backend` in tests and tools).
    public var backendPID: Int32 {
        handle.map { PQbackendPID($0) } ?? 0
    }

    /// Runs one statement with its binds and returns its rows.
    @discardableResult
    public func execute(_ sql: SQL) throws -> QueryResult {
        let h = try liveHandle()
        let binds = sql.binds
        let types = binds.map(\.typeOID)
        let payloads = binds.map(\.binary)
        // PostgreSQL takes at most 1 GB per value; a larger bind is an error, never an Int32 trap.
        if let big = payloads.firstIndex(where: { ($0?.count ?? 0) > 1 << 30 }) {
            throw StoreError.decoding("value $\(big + 1) is \(payloads[big]!.count) bytes; PostgreSQL takes at most 1 GB per value")
        }
        let lengths = payloads.map { Int32($0?.count ?? 0) }
        let formats = [Int32](repeating: 1, count: binds.count)
        // Each payload gets its own stable buffer for the duration of the call.
        let buffers: [UnsafeMutablePointer<CChar>?] = payloads.map { p in
            guard let p else { return nil }
            let b = UnsafeMutablePointer<CChar>.allocate(capacity: max(p.count, 1))
            p.withUnsafeBytes { UnsafeMutableRawPointer(b).copyMemory(from: $0.baseAddress!, byteCount: p.count) }
            return b
        }
        defer { buffers.forEach { $0?.deallocate() } }
        let values = buffers.map { UnsafePointer($0) }
        let result = PQexecParams(h, sql.text, Int32(binds.count), types, values, lengths, formats, 1)
        return try consume(result, statement: sql.text)
    }

    /// Runs a script of several statements with no binds (migration files only: the text is trusted).
    public func executeScript(unsafeSQL script: String) throws {
        let h = try liveHandle()
        _ = try consume(PQexec(h, script), statement: script)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    public func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body(self)
            try execute("COMMIT")
            return value
        } catch {
            if isHealthy { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Subscribes this session to `channel` (an identifier fixed in code).
    public func listen(_ channel: String) throws {
        try execute(SQL(unsafeSQL: "LISTEN \(channel)"))
    }

    /// Waits up to `timeout` seconds for a notification on a channel this session listens to; returns the channels
    /// notified (empty on timeout). Throws when the connection broke.
    public func waitForNotifications(timeout: TimeInterval) throws -> [String] {
        let h = try liveHandle()
        var channels = drainNotifications(h)
        if !channels.isEmpty { return channels }
        var fd = pollfd(fd: PQsocket(h), events: Int16(POLLIN), revents: 0)
        let ready = poll(&fd, 1, Int32(min(max(0, timeout * 1000), Double(Int32.max))))
        if ready < 0 && errno != EINTR { throw StoreError.connection("poll failed: errno \(errno)") }
        if ready > 0 {
            guard PQconsumeInput(h) == 1 else { throw StoreError.connection(Connection.oneLine(PQerrorMessage(h))) }
            channels = drainNotifications(h)
        }
        return channels
    }

    private func drainNotifications(_ h: OpaquePointer) -> [String] {
        var channels: [String] = []
        while let n = PQnotifies(h) {
            channels.append(String(cString: n.pointee.relname))
            PQfreemem(n)
        }
        return channels
    }

    private func liveHandle() throws -> OpaquePointer {
        guard let h = handle, PQstatus(h) == CONNECTION_OK else {
            throw StoreError.connection(handle.map { Connection.oneLine(PQerrorMessage($0)) } ?? "connection closed")
        }
        return h
    }

    /// Turns a PGresult into rows (binary format) or a `StoreError`, and frees it.
    private func consume(_ result: OpaquePointer?, statement: String) throws -> QueryResult {
        guard let r = result else {
            throw StoreError.connection(handle.map { Connection.oneLine(PQerrorMessage($0)) } ?? "no result")
        }
        defer { PQclear(r) }
        switch PQresultStatus(r) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return QueryResult(columns: [], rows: [], affectedRows: Int(String(cString: PQcmdTuples(r))) ?? 0)
        case PGRES_TUPLES_OK:
            return try decodeRows(r)
        default:
            if let h = handle, PQstatus(h) != CONNECTION_OK {
                throw StoreError.connection(Connection.oneLine(PQerrorMessage(h)))
            }
            func field(_ code: Character) -> String? {
                PQresultErrorField(r, Int32(code.asciiValue!)).map { String(cString: $0) }
            }
            let state = field("C") ?? "XX000"
            let message = field("M") ?? Connection.oneLine(PQresultErrorMessage(r))
            throw StoreError.server(sqlstate: state, message: message, detail: field("D"), statement: statement)
        }
    }

    private func decodeRows(_ r: OpaquePointer) throws -> QueryResult {
        let nFields = Int(PQnfields(r)), nRows = Int(PQntuples(r))
        let columns = (0..<nFields).map { String(cString: PQfname(r, Int32($0))) }
        let types = (0..<nFields).map { PQftype(r, Int32($0)) }
        var rows: [Row] = []
        rows.reserveCapacity(nRows)
        for i in 0..<nRows {
            var values: [SQLValue] = []
            values.reserveCapacity(nFields)
            for j in 0..<nFields {
                if PQgetisnull(r, Int32(i), Int32(j)) == 1 { values.append(.null); continue }
                let bytes = UnsafeRawBufferPointer(start: PQgetvalue(r, Int32(i), Int32(j)),
                                                   count: Int(PQgetlength(r, Int32(i), Int32(j))))
                values.append(try Connection.decode(bytes, type: types[j], column: columns[j]))
            }
            rows.append(Row(columns: columns, values: values))
        }
        return QueryResult(columns: columns, rows: rows, affectedRows: Int(String(cString: PQcmdTuples(r))) ?? 0)
    }

    /// One binary-format value of a built-in type.
    static func decode(_ b: UnsafeRawBufferPointer, type: UInt32, column: String) throws -> SQLValue {
        func integer() -> Int64 {
            let u = bigEndianInteger(b)
            let bits = b.count * 8
            return bits == 64 ? Int64(bitPattern: u) : Int64(bitPattern: u << (64 - UInt64(bits))) >> Int64(64 - bits)
        }
        switch type {
        case PostgresType.bool: return .bool(b.first == 1)
        case PostgresType.int2, PostgresType.int4, PostgresType.int8: return .int(integer())
        case PostgresType.oid: return .int(Int64(bigEndianInteger(b)))
        case PostgresType.float4: return .double(Double(Float(bitPattern: UInt32(bigEndianInteger(b)))))
        case PostgresType.float8: return .double(Double(bitPattern: bigEndianInteger(b)))
        case PostgresType.text, PostgresType.varchar, PostgresType.bpchar, PostgresType.name:
            return .text(String(decoding: b, as: UTF8.self))
        case PostgresType.json: return .jsonb(String(decoding: b, as: UTF8.self))
        case PostgresType.jsonb: return .jsonb(String(decoding: b.dropFirst(), as: UTF8.self))
        case PostgresType.bytea: return .bytes(Array(b))
        case PostgresType.timestamptz, PostgresType.timestamp: return .timestamp(integer())
        case PostgresType.void: return .null
        default:
            throw StoreError.decoding("column \"\(column)\" has type oid \(type), which the store does not read "
                                      + "(cast it in SQL: ::float8, ::text, ::bigint)")
        }
    }

    /// libpq messages span lines ("…failed: No such file\n\tIs the server running…"); users get one.
    static func oneLine(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        return String(cString: message).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
    }
}
