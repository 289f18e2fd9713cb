import Foundation
import Imaging
import Store

/// Writes `DIR/index.html` (self-contained) and the eval grids as `DIR/grids/<run>-step-<k>.png`.
public enum ReportWriter {
    /// Reads `names` (one run, or several to compare) and writes the report; returns the page's path.
    @discardableResult
    public static func write(_ c: Connection, names: [String], to folder: String) throws -> String {
        guard !names.isEmpty else { throw ReportError("name at least one run") }
        return try write(runs: try names.map { try RunReportData.load(c, name: $0) }, to: folder)
    }

    /// Writes the report of runs already read (from the database or from run folders); returns the page's path.
    @discardableResult
    public static func write(runs: [RunReportData], to folder: String, sweep: SweepTable? = nil) throws -> String {
        guard !runs.isEmpty else { throw ReportError("name at least one run") }
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: folder, isDirectory: &isFolder), !isFolder.boolValue {
            throw ReportError("\(folder) is a file, not a folder: pass another --out")
        }
        do { try fm.createDirectory(atPath: folder + "/grids", withIntermediateDirectories: true) } catch {
            throw ReportError("cannot create \(folder)/grids (\((error as NSError).localizedFailureReason ?? "a folder on the way is a file or not writable")): pass another --out")
        }
        var files: [String: [Int: String]] = [:]
        for r in runs {
            for g in r.grids {
                let file = "grids/\(fileName(r.name))-step-\(g.step).png"
                try PNGCodec.write(g.image, to: folder + "/" + file)
                files[r.name, default: [:]][g.step] = file
            }
        }
        let page = try HTMLReport(runs: runs, gridFiles: files, sweep: sweep).render()
        let path = folder + "/index.html"
        try page.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A run name as a file name: characters other than letters, digits, '-', '_' and '.' become '_'.
    static func fileName(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
    }
}
