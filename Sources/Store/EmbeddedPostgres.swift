import Foundation

/// A private PostgreSQL cluster under `<folder>/postgres/` run from the system's binaries: data, log and Unix socket
/// in that folder, no TCP listener. As root it runs as the `postgres` user (PostgreSQL refuses root). Starting is
/// idempotent and serialised by a file lock, so workers started together do not race to initdb.
public struct EmbeddedPostgres: Sendable, Equatable {
    /// The cluster folder (`.flowcps/postgres`).
    public let directory: String
    /// The database FlowCPS uses in it.
    public let database: String

    public init(directory: String, database: String = "flowcps") {
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        self.database = database
    }

    /// The libpq URL of the cluster's database (socket connection).
    public var url: String { "postgresql://postgres@/\(database)?host=\(directory)" }

    var dataDirectory: String { directory + "/data" }

    /// True when the cluster's server is up.
    public func isRunning() -> Bool {
        guard let bin = try? EmbeddedPostgres.binDirectory() else { return false }
        return (try? run(bin + "/pg_ctl", ["-D", dataDirectory, "status"], asOwner: true)) != nil
    }

    /// Initialises the cluster if it has no data folder, starts it unless running, and creates the database.
    /// Returns true when this call started the server.
    @discardableResult
    public func start() throws -> Bool {
        let bin = try EmbeddedPostgres.binDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lock = try FileLock(path: directory + ".lock")
        defer { lock.unlock() }
        let root = getuid() == 0
        if root { try run("/bin/chown", ["postgres:postgres", directory], asOwner: false) }
        chmod(directory, 0o700)
        if !FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            try run(bin + "/initdb", ["-D", dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"],
                    asOwner: true)
        }
        var started = false
        if !isRunning() {
            try run(bin + "/pg_ctl", ["-D", dataDirectory, "-l", directory + "/server.log", "-w", "-t", "60", "-o",
                                      "-k \(directory) -c listen_addresses='' -c max_connections=200", "start"],
                    asOwner: true)
            started = true
        }
        let admin = try Connection(url: "postgresql://postgres@/postgres?host=\(directory)")
        let exists = try admin.execute("SELECT 1 AS one FROM pg_database WHERE datname = \(database)").rows.count == 1
        if !exists { try admin.execute(SQL(unsafeSQL: "CREATE DATABASE \"\(database)\"")) }
        return started
    }

    /// Stops the server (fast shutdown); false when it was not running.
    @discardableResult
    public func stop() throws -> Bool {
        let bin = try EmbeddedPostgres.binDirectory()
        guard isRunning() else { return false }
        try run(bin + "/pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "stop"], asOwner: true)
        return true
    }

    /// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb` (or `$FLOWCPS_PG_BIN`).
    public static func binDirectory() throws -> String {
        if let d = ProcessInfo.processInfo.environment["FLOWCPS_PG_BIN"], !d.isEmpty { return d }
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [])
            .compactMap(Int.init).sorted()
        for v in versions.reversed() where FileManager.default.isExecutableFile(atPath: "\(base)/\(v)/bin/initdb") {
            return "\(base)/\(v)/bin"
        }
        throw StoreError.connection("no PostgreSQL server binaries under \(base) (apt-get install postgresql), "
                                    + "and FLOWCPS_DATABASE_URL is not set")
    }

    /// Runs a PostgreSQL program (as `postgres` via runuser when we are root); throws with its output on failure.
    /// posix_spawn and waitpid rather than Foundation's Process: `pg_ctl start` leaves a daemon behind that inherits
    /// the descriptors Process watches for the child's end, so Process would wait for the server to exit.
    @discardableResult
    func run(_ program: String, _ arguments: [String], asOwner: Bool) throws -> String {
        let argv = asOwner && getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--", program] + arguments
                                            : [program] + arguments
        let outPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("flowcps-\(URL(fileURLWithPath: program).lastPathComponent)-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        EmbeddedPostgres.closeDescriptorsOnExec()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        // The server must not inherit a blocked signal mask from the spawning thread (it would ignore pg_ctl stop).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, environ)
        guard spawned == 0 else { throw StoreError.connection("cannot run \(argv[0]): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0, code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            let name = URL(fileURLWithPath: program).lastPathComponent
            let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8))?
                .split(separator: "\n").suffix(3).joined(separator: " | ") ?? ""
            throw StoreError.connection("\(name) failed (\(exited ? "exit \(code)" : "signal \(status & 0x7f)")): "
                                        + text.split(whereSeparator: \.isNewline).joined(separator: " | ")
                                        + (name == "pg_ctl" && !log.isEmpty ? " — server.log: \(log)" : ""))
        }
        return text
    }
}

extension EmbeddedPostgres {
    /// Marks every descriptor above stderr close-on-exec, so the server that `pg_ctl start` leaves running holds
    /// none of this process's pipes (a parent waiting for a pipe's end, as Foundation's Process does for its
    /// children, would otherwise wait for the server to exit).
    static func closeDescriptorsOnExec() {
        guard let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for fd in fds.compactMap(Int32.init) where fd > 2 {
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
}

/// An exclusive `flock` on a file, held until `unlock`.
struct FileLock {
    let fd: Int32

    init(path: String) throws {
        fd = open(path, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else { throw StoreError.connection("cannot open lock file \(path): errno \(errno)") }
        guard flock(fd, LOCK_EX) == 0 else {
            close(fd)
            throw StoreError.connection("cannot lock \(path): errno \(errno)")
        }
    }

    func unlock() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
