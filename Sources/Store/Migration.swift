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

    /// The `migrations/` folder: `$FLOWCPS_MIGRATIONS`, else the first `migrations/` holding `0001_*.sql` in the
    /// working directory, the executable's directory, or one of their parents.
    public static func defaultDirectory() -> String? {
        if let d = ProcessInfo.processInfo.environment["FLOWCPS_MIGRATIONS"], !d.isEmpty { return d }
        let starts = [FileManager.default.currentDirectoryPath,
                      URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
                          .deletingLastPathComponent().path]
        for start in starts {
            var dir = URL(fileURLWithPath: start).standardizedFileURL
            while true {
                let candidate = dir.appendingPathComponent("migrations").path
                if let files = try? FileManager.default.contentsOfDirectory(atPath: candidate),
                   files.contains(where: { $0.hasPrefix("0001_") && $0.hasSuffix(".sql") }) {
                    return candidate
                }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        return nil
    }
}
