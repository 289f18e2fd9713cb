import Foundation

/// A private PostgreSQL cluster under `<folder>/postgres/` run from the system's binaries: data, log and Unix socket
/// in that folder, no TCP listener. As root it runs as the `postgres` user (PostgreSQL refuses root); when that
/// user cannot reach the folder (a clone in root's home, mode 700), the cluster lives in
/// `/var/lib/flowcps/clusters/<digest of the folder>` and the folder is a symbolic link to it. Starting is
/// idempotent and serialised by a file lock, so workers started together do not race to initdb.
///
/// Only the user who runs flowcps (and root) may connect: the socket folder is mode 700, local connections use
/// peer authentication mapped to that user, TCP is refused, and `listen_addresses = ''` is written into the
/// cluster's own configuration, so any other way of starting it stays private too.
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
    public var url: String { "postgresql://postgres@/\(database)?host=\(EmbeddedPostgres.encoded(directory))" }

    /// A path percent-encoded for a URL's query (spaces, `&`, `#`, `%` and the like).
    static func encoded(_ path: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#%?")
        return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
    }

    /// The folder as the server sees it (the link resolved).
    var serverDirectory: String { URL(fileURLWithPath: directory).resolvingSymlinksInPath().path }

    var dataDirectory: String { serverDirectory + "/data" }

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
        let parent = URL(fileURLWithPath: directory).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let lock = try FileLock(path: directory + ".lock")
        defer { lock.unlock() }
        let root = getuid() == 0
        if root && !serverUserCanReach(parent) { try relocate() }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if root { try run("/bin/chown", ["postgres:postgres", serverDirectory], asOwner: false) }
        chmod(serverDirectory, 0o700)
        if !FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            try run(bin + "/initdb", ["-D", dataDirectory, "-U", "postgres", "--auth-local=peer", "--auth-host=reject",
                                      "-E", "UTF8", "--no-locale"], asOwner: true)
        }
        try writeAccessRules(reloadIfRunning: bin)
        var started = false
        if !isRunning() {
            // pg_ctl starts the server through /bin/sh with -D and -l spliced into the command line, so a folder
            // named with `$`, backquotes or quotes would break it (or run them): the data folder goes in PGDATA,
            // passed by env(1) as an argument, and the server writes its own log (flowcps.conf).
            try run("/usr/bin/env", ["PGDATA=" + dataDirectory, bin + "/pg_ctl", "-w", "-t", "60", "start"], asOwner: true)
            started = true
        }
        let admin = try Connection(url: "postgresql://postgres@/postgres?host=\(EmbeddedPostgres.encoded(directory))")
        let exists = try admin.execute("SELECT 1 AS one FROM pg_database WHERE datname = \(database)").rows.count == 1
        if !exists { try admin.execute(SQL(unsafeSQL: "CREATE DATABASE \"\(database)\"")) }
        return started
    }

    /// The OS user who runs flowcps (the server's user too, unless that is root).
    static var clientUser: String {
        guard let pw = getpwuid(getuid()), let name = pw.pointee.pw_name else { return "root" }
        return String(cString: name)
    }

    /// Writes who may connect and how into the cluster's own files (so `pg_ctl start` by hand keeps them):
    /// peer authentication on the socket for this user and the server's user, mapped to the cluster's roles; every
    /// TCP connection rejected; no TCP listener; the socket in the cluster folder. Reloads a running server when a
    /// file changed (a cluster made by an older build trusted everyone).
    func writeAccessRules(reloadIfRunning bin: String) throws {
        let users = Set([EmbeddedPostgres.clientUser, getuid() == 0 ? "postgres" : EmbeddedPostgres.clientUser, "root"])
        let roles = ["postgres", "flowcps_worker", "flowcps_reader", "flowcps_reward_worker"]
        let ident = "# Written by flowcps: OS users allowed on the socket, and the roles each may use.\n"
            + users.sorted().flatMap { u in roles.map { "flowcps \(u) \($0)" } }.joined(separator: "\n") + "\n"
        let hba = """
            # Written by flowcps: the socket only, for the users in pg_ident.conf (map flowcps); no TCP at all.
            local all all peer map=flowcps
            host all all 0.0.0.0/0 reject
            host all all ::/0 reject

            """
        let conf = """
            # Written by flowcps: no TCP listener, the socket in the cluster folder only.
            listen_addresses = ''
            unix_socket_directories = '\(serverDirectory.replacingOccurrences(of: "'", with: "''"))'
            unix_socket_permissions = 0700
            max_connections = 200
            logging_collector = on
            log_directory = '\(serverDirectory.replacingOccurrences(of: "'", with: "''"))'
            log_filename = 'server.log'

            """
        var changed = false
        for (name, text) in [("pg_ident.conf", ident), ("pg_hba.conf", hba), ("flowcps.conf", conf)] {
            let path = dataDirectory + "/" + name
            if (try? String(contentsOfFile: path, encoding: .utf8)) == text { continue }
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            if getuid() == 0 { try run("/bin/chown", ["postgres:postgres", path], asOwner: false) }
            chmod(path, 0o600)
            changed = true
        }
        let main = dataDirectory + "/postgresql.conf"
        let include = "include_if_exists = 'flowcps.conf'"
        if let text = try? String(contentsOfFile: main, encoding: .utf8), !text.contains(include) {
            try (text + "\n" + include + "\n").write(toFile: main, atomically: false, encoding: .utf8)
            changed = true
        }
        if changed && isRunning() { try run(bin + "/pg_ctl", ["-D", dataDirectory, "reload"], asOwner: true) }
    }

    /// True when the `postgres` user may enter `folder` (every folder above it searchable).
    func serverUserCanReach(_ folder: String) -> Bool {
        (try? run("/usr/bin/test", ["-x", folder, "-a", "-r", folder], asOwner: true)) != nil
    }

    /// A stable 16-hex-digit name for a cluster folder (64-bit FNV-1a of its path).
    static func folderKey(_ path: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in path.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(format: "%016llx", h)
    }

    /// Where a cluster whose folder the server user cannot reach lives instead.
    static let relocatedRoot = "/var/lib/flowcps/clusters"

    /// Moves the cluster to `relocatedRoot` and leaves a link to it in its place; a folder that already holds a
    /// cluster is never moved (one line says what to do).
    func relocate() throws {
        let fm = FileManager.default
        if (try? fm.destinationOfSymbolicLink(atPath: directory)) != nil { return }
        if fm.fileExists(atPath: directory + "/data/PG_VERSION") {
            throw StoreError.connection("the embedded cluster in \(directory) is out of reach of the postgres user "
                                        + "(a folder above it is private): move it, or set FLOWCPS_HOME to a folder "
                                        + "that user can enter")
        }
        if fm.fileExists(atPath: directory) { try fm.removeItem(atPath: directory) }  // an empty start that failed
        let target = EmbeddedPostgres.relocatedRoot + "/" + EmbeddedPostgres.folderKey(directory)
        do {
            try fm.createDirectory(atPath: target, withIntermediateDirectories: true)
            chmod(EmbeddedPostgres.relocatedRoot, 0o711)
            try fm.createSymbolicLink(atPath: directory, withDestinationPath: target)
        } catch {
            throw StoreError.connection("the postgres user cannot enter \(directory), and a cluster for it cannot be "
                                        + "made in \(EmbeddedPostgres.relocatedRoot) (\(error.localizedDescription)): "
                                        + "set FLOWCPS_HOME to a folder that user can enter, or FLOWCPS_DATABASE_URL")
        }
    }

    /// Stops the server (`fast` shutdown; `immediate` is a crash, for fault tests); false when it was not running.
    @discardableResult
    public func stop(mode: String = "fast") throws -> Bool {
        let bin = try EmbeddedPostgres.binDirectory()
        guard isRunning() else { return false }
        try run(bin + "/pg_ctl", ["-D", dataDirectory, "-m", mode, "-w", "stop"], asOwner: true)
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
            // pg_ctl start runs under env(1) (see `start`): name the program it ran.
            let name = URL(fileURLWithPath: program == "/usr/bin/env" ? arguments.first { !$0.contains("=") } ?? program : program).lastPathComponent
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
