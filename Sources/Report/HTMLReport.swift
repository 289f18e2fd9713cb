import Foundation
import Imaging
import Store

/// A self-contained HTML page (inline SVG charts, PNG grids as data URIs, inline CSS, no scripts) for one run, or
/// for several runs with their curves overlaid.
public struct HTMLReport {
    public let runs: [RunReportData]
    /// Relative paths of each run's grid files, by run name and eval step (linked under each grid).
    public let gridFiles: [String: [Int: String]]
    public let generated: Date
    /// The sweep the runs make up, shown as its table (nil: not a sweep).
    public let sweep: SweepTable?

    public init(runs: [RunReportData], gridFiles: [String: [Int: String]], generated: Date = Date(), sweep: SweepTable? = nil) {
        self.runs = runs
        self.gridFiles = gridFiles
        self.generated = generated
        self.sweep = sweep
    }

    /// The page's title: the sweep's name, or the runs'.
    var title: String { sweep.map { "sweep \($0.name)" } ?? runs.map(\.name).joined(separator: " vs ") }

    var comparing: Bool { runs.count > 1 }

    public func render() throws -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <title>FlowCPS report: \(esc(title))</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1500px; color: #222; padding: 0 16px; }
        h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; }
        table { border-collapse: collapse; margin: 8px 0; } td, th { padding: 4px 10px; border: 1px solid #ddd; text-align: right; }
        th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
        .up { color: #1a7f37; } .down { color: #c62828; }
        .charts { display: flex; flex-wrap: wrap; gap: 12px; } .charts svg { border: 1px solid #eee; }
        figure { display: inline-block; margin: 8px 12px 8px 0; vertical-align: top; } figcaption { font-size: 13px; }
        img.grid { image-rendering: pixelated; border: 1px solid #ddd; }
        pre { background: #f8f8f8; padding: 8px; font-size: 12px; overflow-x: auto; }
        .note { color: #666; font-size: 13px; }
        </style></head><body>
        <h1>FlowCPS report: \(esc(title))</h1>
        <p class="note">Generated \(esc(UTCTime.minutes(generated))). Eval: deterministic ODE sampling on the
        eval prompts with fixed seeds; strict = every GenEval check of the prompt passed; ± one standard error,
        clustered by prompt.</p>

        """
        for r in runs { for n in r.notices { html += "<p class=\"down\">\(esc(r.name)): \(esc(n))</p>\n" } }
        if let sweep { html += sweep.html() }
        html += summary()
        html += categoryTable()
        html += "<h2>Curves</h2>\n<div class=\"charts\">\n" + charts().joined(separator: "\n") + "</div>\n"
        html += try grids()
        html += "<h2>Configuration</h2>\n"
        for r in runs {
            html += "<details\(comparing ? "" : " open")><summary>\(esc(r.name))</summary><pre>\(esc(r.config))</pre></details>\n"
        }
        return html + "</body></html>\n"
    }

    /// Per run: state, progress, and the overall eval and reward at the first and last step measured.
    func summary() -> String {
        var s = "<h2>Summary</h2>\n<table><tr><th>run</th><th>state</th><th>steps</th><th>eval strict, first</th>"
            + "<th>eval strict, last</th><th>change</th><th>train reward, first</th><th>train reward, last</th></tr>\n"
        for r in runs {
            let e = r.evalStrict["overall"] ?? []
            s += "<tr><td>\(esc(r.name))</td><td>\(esc(r.state))</td><td>\(r.stepsDone)/\(r.steps)</td>"
            let se = r.evalStrictSE["overall"] ?? []
            s += cell(e.first, se: se) + cell(e.count > 1 ? e.last : nil, se: se) + change(e) + cell(r.rewardMean.first)
                + cell(r.rewardMean.count > 1 ? r.rewardMean.last : nil) + "</tr>\n"
        }
        return s + "</table>\n"
    }

    /// Strict accuracy per category at the first and the last eval step of each run.
    func categoryTable() -> String {
        let categories = Set(runs.flatMap { $0.evalStrict.keys }).sorted { a, b in
            a == "overall" ? false : b == "overall" ? true : a < b
        }
        guard !categories.isEmpty else { return "<h2>Evaluation</h2>\n<p class=\"note\">No evaluation yet.</p>\n" }
        var s = "<h2>Evaluation by category: before and after</h2>\n<table><tr><th>category</th>"
        for r in runs {
            s += "<th>\(esc(r.name)): step \(r.evalStrict["overall"]?.first.map { Int($0.x) }.map(String.init) ?? "–")</th>"
            s += "<th>step \(r.evalStrict["overall"]?.last.map { Int($0.x) }.map(String.init) ?? "–")</th><th>change</th>"
        }
        s += "</tr>\n"
        for c in categories {
            s += "<tr><td>\(esc(c.replacingOccurrences(of: "_", with: " ")))</td>"
            for r in runs {
                let e = r.evalStrict[c] ?? [], se = r.evalStrictSE[c] ?? []
                s += cell(e.first, se: se) + cell(e.count > 1 ? e.last : nil, se: se) + change(e)
            }
            s += "</tr>\n"
        }
        return s + "</table>\n"
    }

    func charts() -> [String] {
        var out: [String] = []
        func chart(_ title: String, _ y: String, _ series: [LineSeries]) {
            let drawn = series.filter { !$0.points.isEmpty }
            guard !drawn.isEmpty else { return }
            var c = LineChart(title: title, xLabel: "RL step", yLabel: y, series: drawn)
            c.width = 560
            c.height = 340
            out.append(c.svg())
        }
        let tag = { (r: RunReportData, s: String) in self.comparing ? "\(r.name) \(s)" : s }
        chart("Training reward (rollouts)", "reward", runs.flatMap { r in
            [LineSeries(name: tag(r, "mean"), points: r.rewardMean)]
                + (comparing ? [] : [LineSeries(name: "p10", points: r.rewardP10, dashed: true),
                                     LineSeries(name: "p90", points: r.rewardP90, dashed: true)])
        })
        if comparing {
            chart("Eval strict accuracy, overall", "strict", runs.map { LineSeries(name: $0.name, points: $0.evalStrict["overall"] ?? []) })
            let categories = Set(runs.flatMap { $0.evalStrict.keys }).subtracting(["overall"]).sorted()
            for c in categories {
                chart("Eval: \(c.replacingOccurrences(of: "_", with: " "))", "strict",
                      runs.map { LineSeries(name: $0.name, points: $0.evalStrict[c] ?? []) })
            }
        } else if let r = runs.first {
            let categories = r.evalStrict.keys.filter { $0 != "overall" }.sorted()
            var c = LineChart(title: "Eval strict accuracy per category", xLabel: "RL step", yLabel: "strict",
                              series: [LineSeries(name: "overall", points: r.evalStrict["overall"] ?? [])]
                                  + categories.map { LineSeries(name: $0.replacingOccurrences(of: "_", with: " "),
                                                                points: r.evalStrict[$0] ?? [], dashed: true) })
            c.series = c.series.filter { !$0.points.isEmpty }
            if !c.series.isEmpty {
                c.width = 560
                c.height = 340
                out.append(c.svg())
            }
        }
        chart("Approximate KL (old → new policy)", "approx KL", runs.map { LineSeries(name: tag($0, "approx_kl"), points: $0.metrics["approx_kl"] ?? []) })
        chart("KL to the reference model", "KL", runs.map { LineSeries(name: tag($0, "kl"), points: $0.metrics["kl"] ?? []) }
            .filter { $0.points.contains { $0.y != 0 } })
        chart("Clip fraction", "fraction", runs.map { LineSeries(name: tag($0, "clip_fraction"), points: $0.metrics["clip_fraction"] ?? []) })
        chart("Gradient norm", "‖g‖", runs.map { LineSeries(name: tag($0, "grad_norm"), points: $0.metrics["grad_norm"] ?? []) })
        chart("Eval images: residual noise", "noise", runs.map { LineSeries(name: tag($0, "noise"), points: $0.evalNoise) })
        chart("Seconds per RL step", "s", runs.map { LineSeries(name: tag($0, "step"), points: $0.stepSeconds) })
        return out
    }

    func grids() throws -> String {
        var s = "<h2>Eval samples</h2>\n<p class=\"note\">The first images of each category, one grid per eval step.</p>\n"
        for r in runs {
            if comparing { s += "<h3>\(esc(r.name))</h3>\n" }
            if r.grids.isEmpty { s += "<p class=\"note\">No eval images yet.</p>\n" }
            for g in r.grids {
                let strict = r.evalStrict["overall"]?.first { Int($0.x) == g.step }.map { String(format: ", strict %.3f", $0.y) } ?? ""
                let png = try PNGCodec.encode(g.image)
                s += "<figure><img class=\"grid\" alt=\"eval images of \(esc(r.name)) at step \(g.step)\" width=\"\(g.image.width)\" "
                    + "height=\"\(g.image.height)\" src=\"data:image/png;base64,\(Data(png).base64EncodedString())\">"
                s += "<figcaption>step \(g.step)\(strict)"
                if let file = gridFiles[r.name]?[g.step] { s += " · <a href=\"\(esc(file))\">PNG</a>" }
                s += "</figcaption></figure>\n"
            }
        }
        return s
    }

    /// A value and its step; with `se` (a curve of standard errors), "± se" of the same step when recorded.
    func cell(_ p: CurvePoint?, se: [CurvePoint] = []) -> String {
        guard let p else { return "<td>–</td>" }
        let error = se.first { $0.x == p.x }.map { String(format: " ± %.3f", $0.y) } ?? ""
        return String(format: "<td>%.3f%@ <span class=\"note\">@%d</span></td>", p.y, error, Int(p.x))
    }

    func change(_ e: [CurvePoint]) -> String {
        guard e.count > 1, let a = e.first, let b = e.last else { return "<td>–</td>" }
        let d = b.y - a.y
        return String(format: "<td class=\"%@\">%+.3f</td>", d > 0 ? "up" : d < 0 ? "down" : "", d)
    }
}

/// Text escaped for HTML element content and attribute values.
func esc(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
