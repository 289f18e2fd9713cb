import ArgumentParser
import Foundation
import Imaging
import Pipeline
import Training

extension FlowCPS {
    /// `flowcps plot`: line charts of columns of CSV files (e.g. the `curves.csv` of `flowcps run export`), with
    /// seeds averaged.
    struct Plot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Plot columns of CSV files (e.g. exported curves.csv) as one .svg or .png line chart.",
            discussion: """
            Each series is LABEL=FILE[+FILE…][@COLUMN] (the last "=" ends the label): \
            several files are averaged at the x values all of them have \
            (seeds of one setting); @COLUMN overrides --y for that series. Rows whose y cell is empty are skipped.
            Example: flowcps plot --out reward.svg --y reward.mean --smooth 5 \
            "CPS=runs/a/curves.csv+runs/b/curves.csv" "Flow-SDE=runs/c/curves.csv"
            """
        )

        @Argument(help: "Series: LABEL=FILE[+FILE…][@COLUMN].") var series: [String]
        @Option(help: "Output .svg or .png.") var out: String
        @Option(help: "Column of the x values.") var x = "step"
        @Option(help: "Column of the y values (unless a series names its own).") var y: String?
        @Option(help: "Chart title.") var title = ""
        @Option(help: "x-axis label (default: the x column).") var xLabel: String?
        @Option(help: "y-axis label (default: the y column).") var yLabel: String?
        @Option(help: "Centred moving average over this many points (1: none).") var smooth = 1
        @Flag(help: "Fit the y axis to the data (by default it reaches 0).") var fitY = false
        @Flag(help: "Also print the plotted points as CSV (x, then one column per series).") var table = false

        func run() throws {
            if series.isEmpty { throw InputError("give at least one series LABEL=FILE") }
            if smooth < 1 { throw InputError("--smooth must be at least 1, got \(smooth)") }
            if !(out.hasSuffix(".svg") || out.hasSuffix(".png")) { throw InputError("--out must end in .svg or .png, got \(out)") }
            var lines: [LineSeries] = []
            for spec in series {
                let parsed = try SeriesSpec(spec, defaultColumn: y)
                var perFile: [[Double: Double]] = []
                for file in parsed.files {
                    let table = try CSVTable.read(file)
                    perFile.append(try table.points(x: x, y: parsed.column))
                }
                var common = Set(perFile[0].keys)
                for p in perFile.dropFirst() { common.formIntersection(p.keys) }
                let xs = common.sorted()
                guard !xs.isEmpty else {
                    throw InputError("series \(parsed.label): no x value has a \(parsed.column) in every file")
                }
                let mean = xs.map { x in (x: x, y: perFile.map { $0[x]! }.reduce(0, +) / Double(perFile.count)) }
                lines.append(LineSeries(name: parsed.label, points: Self.smoothed(mean, window: smooth)))
            }
            var chart = LineChart(title: title, xLabel: xLabel ?? x, yLabel: yLabel ?? y ?? "value", series: lines)
            chart.yFromZero = !fitY
            try OutputPath.prepare(out)
            if out.hasSuffix(".svg") {
                try chart.svg().write(toFile: out, atomically: true, encoding: .utf8)
            } else {
                try PNGCodec.write(chart.raster(), to: out)
            }
            if table {
                let xs = Set(lines.flatMap { $0.points.map(\.x) }).sorted()
                let values = lines.map { Dictionary($0.points.map { ($0.x, $0.y) }, uniquingKeysWith: { a, _ in a }) }
                print(([x] + lines.map { CSV.field($0.name) }).joined(separator: ","))
                for v in xs {
                    print(([LineChart.formatted(v)] + values.map { $0[v].map { String($0) } ?? "" }).joined(separator: ","))
                }
            }
            print("wrote \(out) (\(lines.map { "\($0.name): \($0.points.count) points" }.joined(separator: ", ")))")
        }

        /// Centred moving average; the window shrinks at the ends.
        static func smoothed(_ points: [(x: Double, y: Double)], window: Int) -> [(x: Double, y: Double)] {
            guard window > 1 else { return points }
            let half = window / 2
            return points.indices.map { i in
                let lo = max(0, i - half), hi = min(points.count - 1, i + half)
                let ys = points[lo...hi].map(\.y)
                return (points[i].x, ys.reduce(0, +) / Double(ys.count))
            }
        }
    }
}

/// One `LABEL=FILE[+FILE…][@COLUMN]` argument of `flowcps plot`.
struct SeriesSpec {
    let label: String
    let files: [String]
    let column: String

    init(_ spec: String, defaultColumn: String?) throws {
        // The last "=" ends the label, so labels may hold "=" (η=0.7); file names may not.
        guard let eq = spec.lastIndex(of: "="), eq != spec.startIndex else {
            throw InputError("series \"\(spec)\": expected LABEL=FILE[+FILE…][@COLUMN]")
        }
        label = String(spec[..<eq])
        var rest = String(spec[spec.index(after: eq)...])
        if let at = rest.lastIndex(of: "@") {
            column = String(rest[rest.index(after: at)...])
            rest = String(rest[..<at])
        } else if let d = defaultColumn {
            column = d
        } else {
            throw InputError("series \(label): no column (give --y or @COLUMN)")
        }
        files = rest.split(separator: "+", omittingEmptySubsequences: false).map(String.init)
        if column.isEmpty || files.contains(where: \.isEmpty) {
            throw InputError("series \"\(spec)\": expected LABEL=FILE[+FILE…][@COLUMN]")
        }
    }
}

/// A CSV file with a header row (RFC 4180 quoting).
struct CSVTable {
    let path: String
    let header: [String]
    let rows: [[String]]

    static func read(_ path: String) throws -> CSVTable {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw InputError("cannot read \(path)") }
        let records = CSV.rows(text)
        guard let header = records.first else { throw InputError("\(path) is empty") }
        return CSVTable(path: path, header: header, rows: Array(records.dropFirst()))
    }

    /// (x, y) of every row whose y cell is not empty; a cell that is not a number is an error naming it.
    func points(x: String, y: String) throws -> [Double: Double] {
        guard let xi = header.firstIndex(of: x) else { throw InputError("\(path) has no column \"\(x)\"") }
        guard let yi = header.firstIndex(of: y) else {
            throw InputError("\(path) has no column \"\(y)\" (columns: \(header.joined(separator: ", ")))")
        }
        var out: [Double: Double] = [:]
        for (n, row) in rows.enumerated() where yi < row.count && !row[yi].isEmpty {
            guard xi < row.count, let xv = Double(row[xi]), let yv = Double(row[yi]) else {
                throw InputError("\(path) line \(n + 2): \"\(x)\"/\"\(y)\" is not a number")
            }
            out[xv] = yv
        }
        return out
    }
}
