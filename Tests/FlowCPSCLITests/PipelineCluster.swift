import Foundation
import Store

/// A private PostgreSQL for pipeline tests that start, kill and restart worker processes (and the server itself),
/// so no other test shares it.
final class PipelineCluster {
    let directory: String
    let server: EmbeddedPostgres
    /// The repository root: the tests run `flowcps` there so run files, prompt sets and the base model resolve.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("flowcps-pg-\(UUID().uuidString.prefix(8))").path
        server = EmbeddedPostgres(directory: directory + "/postgres")
        try server.start()
        // As the owner would with `flowcps db migrate`: other commands only check the schema on a server they are
        // pointed at.
        try Migrator(connection: try connect()).migrate(try Migration.load(directory: PipelineCluster.repository + "/migrations"))
    }

    deinit {
        _ = try? server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var environment: [String: String] {
        ["FLOWCPS_DATABASE_URL": server.url, "FLOWCPS_MIGRATIONS": PipelineCluster.repository + "/migrations"]
    }

    func connect() throws -> Connection { try Connection(url: server.url) }

    /// Runs `flowcps` to completion in the repository with this database.
    func flowcps(_ arguments: [String]) throws -> CLI.Result {
        try CLI.run(arguments, cwd: PipelineCluster.repository, environment: environment)
    }

    /// Starts a worker process (output to a log file in the cluster folder); the caller kills or stops it.
    func startWorker(_ extra: [String] = []) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["worker"] + extra
        p.currentDirectoryURL = URL(fileURLWithPath: PipelineCluster.repository)
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = directory + "/worker-\(UUID().uuidString.prefix(8)).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return p
    }

    /// The sha256 of a run's checkpoint.
    func checkpointHash(run: String, step: Int, kind: String) throws -> String? {
        try connect().execute("""
            SELECT c.sha256 FROM checkpoints c JOIN runs r ON r.id = c.run_id
            WHERE r.name = \(run) AND c.step = \(step) AND c.kind = \(kind)
            """).rows.first.map { try $0.string("sha256") }
    }

    func runState(_ run: String) throws -> String {
        try connect().execute("SELECT state FROM runs WHERE name = \(run)").rows.first?.string("state") ?? "absent"
    }
}
