import Foundation

/// One numbered SQL file of `migrations/`: `NNNN_name.sql`, applied once, in order, never edited afterwards.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String
    /// False when the file starts with `-- flowcps: no-transaction` (for `CREATE INDEX CONCURRENTLY`).
    public let transactional: Bool

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        transactional = !sql.hasPrefix("-- flowcps: no-transaction")
    }

    /// The migrations in `directory`, by version. Files not named `NNNN_name.sql` are an error, as are two files
    /// with one version.
    public static func load(directory: String) throws -> [Migration] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw StoreError.migration("cannot read the migrations folder \(directory): \(error.localizedDescription)")
        }
        var found: [Int: Migration] = [:]
        for file in names.sorted() where !file.hasPrefix(".") {
            guard file.hasSuffix(".sql"), let underscore = file.firstIndex(of: "_"),
                  let version = Int(file[..<underscore]), file[..<underscore].count == 4 else {
                throw StoreError.migration("\(directory)/\(file): migration files are named NNNN_name.sql")
            }
            let name = String(file[file.index(after: underscore)...].dropLast(4))
            guard let sql = FileManager.default.contents(atPath: "\(directory)/\(file)").map({ String(decoding: $0, as: UTF8.self) }) else {
                throw StoreError.migration("cannot read \(directory)/\(file)")
            }
            if let other = found[version] {
                throw StoreError.migration("two migrations with version \(version): \(other.name) and \(name)")
            }
            found[version] = Migration(version: version, name: name, sql: sql)
        }
        return found.values.sorted { $0.version < $1.version }
    }

    /// The `migrations/` folder: `$FLOWCPS_MIGRATIONS`, else one found from the executable's own location (never
    /// from the working directory, audit M9): `migrations/` or `../share/flowcps/migrations` beside it (an
    /// installed copy), or, for a binary built in a checkout, the `migrations/` next to the `.build*` folder it
    /// lives in. A folder that others may write to is refused: whoever can plant a file there runs SQL as owner.
    public static func defaultDirectory() -> String? {
        if let d = ProcessInfo.processInfo.environment["FLOWCPS_MIGRATIONS"], !d.isEmpty { return d }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        return candidates(forExecutable: executable.path).first { holdsMigrations($0) && isTrusted($0) }
    }

    /// Where an executable at `path` looks for its migrations, in order.
    static func candidates(forExecutable path: String) -> [String] {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL
        var out = [dir.appendingPathComponent("migrations").path,
                   dir.deletingLastPathComponent().appendingPathComponent("share/flowcps/migrations").path]
        // A build folder of a checkout: <repo>/.build…/<triple>/release/flowcps.
        let parts = dir.pathComponents
        if let i = parts.lastIndex(where: { $0.hasPrefix(".build") }), i > 0 {
            let repository = NSString.path(withComponents: Array(parts[..<i]))
            out.append(URL(fileURLWithPath: repository).appendingPathComponent("migrations").path)
        }
        return out
    }

    static func holdsMigrations(_ folder: String) -> Bool {
        (try? FileManager.default.contentsOfDirectory(atPath: folder))?
            .contains { $0.hasPrefix("0001_") && $0.hasSuffix(".sql") } ?? false
    }

    /// False when the folder is writable by its group or others, or owned by someone other than this user or root.
    static func isTrusted(_ folder: String) -> Bool {
        var info = stat()
        guard stat(folder, &info) == 0 else { return false }
        let owner = info.st_uid
        return (owner == 0 || owner == getuid()) && info.st_mode & (S_IWGRP | S_IWOTH) == 0
    }
}
