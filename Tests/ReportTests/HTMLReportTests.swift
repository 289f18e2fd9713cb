import Foundation
import Imaging
import Report
import Testing

@Suite struct HTMLReportTests {
    static func run(_ name: String, before: Double, after: Double) -> RunReportData {
        var r = RunReportData(name: name, state: "completed", steps: 4, stepsDone: 4, config: "name: \(name)\nsteps: 4\n")
        r.rewardMean = [(0, 0.5), (1, 0.55), (2, 0.6), (3, 0.62)]
        r.rewardP10 = r.rewardMean.map { ($0.x, $0.y - 0.2) }
        r.rewardP90 = r.rewardMean.map { ($0.x, $0.y + 0.2) }
        r.evalStrict = ["overall": [(0, before), (4, after)], "single_object": [(0, 0.9), (4, 0.95)],
                        "position": [(0, 0.1), (4, 0.05)]]
        r.metrics = ["approx_kl": [(0, 1e-4), (1, 2e-4)], "clip_fraction": [(0, 0.1), (1, 0.2)]]
        r.grids = [(0, RGBImage(width: 8, height: 8, fill: RGB(200, 0, 0))), (4, RGBImage(width: 8, height: 8, fill: RGB(0, 0, 200)))]
        return r
    }

    @Test func aRunsPageIsSelfContainedWithCurvesTablesAndGrids() throws {
        let page = try HTMLReport(runs: [HTMLReportTests.run("cps-1", before: 0.57, after: 0.61)],
                                  gridFiles: ["cps-1": [0: "grids/cps-1-step-0.png"]]).render()
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(!page.contains("<script"))
        // Nothing is fetched from elsewhere: images are data URIs, styles inline.
        #expect(!page.contains("src=\"http"))
        #expect(!page.contains("<link"))
        #expect(page.components(separatedBy: "<svg").count - 1 >= 4)
        #expect(page.components(separatedBy: "src=\"data:image/png;base64,").count - 1 == 2)
        // Before and after, with the change signed and coloured.
        #expect(page.contains("<td>0.570 <span class=\"note\">@0</span></td><td>0.610 <span class=\"note\">@4</span></td><td class=\"up\">+0.040</td>"))
        #expect(page.contains("<td class=\"down\">-0.050</td>"))
        #expect(page.contains("grids/cps-1-step-0.png"))
        #expect(page.contains("name: cps-1\nsteps: 4"))
    }

    @Test func comparingOverlaysRunsAndEscapesNames() throws {
        let page = try HTMLReport(runs: [HTMLReportTests.run("a<b>&\"", before: 0.5, after: 0.6),
                                         HTMLReportTests.run("sde", before: 0.5, after: 0.45)],
                                  gridFiles: [:]).render()
        #expect(!page.contains("a<b>"))
        #expect(page.contains("a&lt;b&gt;&amp;&quot; vs sde"))
        #expect(page.contains("Eval strict accuracy, overall"))
        #expect(page.contains("Eval: single object"))
        #expect(page.contains("<td class=\"down\">-0.050</td>"))
    }
}
