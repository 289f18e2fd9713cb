import Foundation

/// Runs the built `flowcps` binary (it sits beside the test bundle in the build folder).
enum CLI {
    /// Every command path of `flowcps` (["run", "submit"], ["rl"], …), found by walking `--help`: the rows of each
    /// "… SUBCOMMANDS:" section (two spaces, a lower-case name, then two or more spaces or the line's end).
    static func commandPaths(_ path: [String] = []) throws -> [[String]] {
        let help = try run(path + ["--help"]).stdout
        var names: [String] = [], inSection = false
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasSuffix("SUBCOMMANDS:") { inSection = true; continue }
            guard inSection else { continue }
            if let m = line.wholeMatch(of: /\ \ ([a-z][a-z0-9-]*)(\s{2,}.*)?/) {
                if m.output.1 != "help" { names.append(String(m.output.1)) }
            } else if !line.isEmpty && !line.hasPrefix(" ") {
                inSection = false
            }
        }
        guard !names.isEmpty, path.count < 3 else { return [path] }
        return try names.flatMap { try commandPaths(path + [$0]) }
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var binary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("flowcps").path
    }

    /// Runs flowcps with `arguments` (through /bin/sh when `shell` is given, for byte-level arguments); with a
    /// `timeout`, a process still running after that many seconds is killed (a probe must never start real work).
    static func run(_ arguments: [String], shell: String? = nil, cwd: String? = nil,
                    environment: [String: String] = [:], timeout: Double? = nil) throws -> Result {
        let process = Process()
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let shell {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", shell, binary]
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        }
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        if let timeout {
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                if process.isRunning { kill(pid, SIGKILL) }
            }
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flowcps-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}
