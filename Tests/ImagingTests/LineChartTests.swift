import Foundation
import Imaging
import Testing

struct LineChartTests {
    static func chart(_ points: [(x: Double, y: Double)], name: String = "a") -> LineChart {
        LineChart(title: "t", xLabel: "x", yLabel: "y", series: [LineSeries(name: name, points: points)])
    }

    /// The y-axis tick labels of an SVG chart, bottom to top (they are the right-aligned texts).
    static func yTicks(_ svg: String) -> [String] {
        svg.components(separatedBy: "text-anchor=\"end\">").dropFirst().map { String($0.prefix { $0 != "<" }) }
    }

    @Test func yAxisReachesZeroByDefaultAndFitsTheDataOnRequest() {
        var c = Self.chart([(10, 0.55), (11, 0.68), (12, 0.6)])
        // 0 … 0.68 in steps of 0.2; 0.55 … 0.68 in steps of 0.05 (the first round step ≥ a fifth of the span).
        #expect(Self.yTicks(c.svg()) == ["0", "0.2", "0.4", "0.6", "0.8"])
        c.yFromZero = false
        #expect(Self.yTicks(c.svg()) == ["0.55", "0.6", "0.65", "0.7"])
        // All-negative data still reaches 0 from below (-3 … 0 in steps of 1).
        #expect(Self.yTicks(Self.chart([(0, -3), (1, -1)]).svg()) == ["-3", "-2", "-1", "0"])
    }

    @Test func anAxisOfTinyValuesIsLabelledInOneNotation() {
        // 0 … 2.1e-4 in steps of 5e-5: all scientific, none as 0.00015.
        #expect(Self.yTicks(Self.chart([(0, 3e-5), (1, 2.1e-4)]).svg())
                == ["0", "5e-5", "1e-4", "1.5e-4", "2e-4", "2.5e-4"])
        // 0 … 0.008 in steps of 0.002 stays decimal.
        #expect(Self.yTicks(Self.chart([(0, 0.001), (1, 0.008)]).svg()) == ["0", "0.002", "0.004", "0.006", "0.008"])
    }

    @Test func aLongLegendEntryWidensTheCanvasInsteadOfBeingCut() throws {
        let short = Self.chart([(0, 0), (1, 1)])
        #expect(short.raster().width == 720)
        #expect(short.svg().hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\""))
        let name = "FLOW-SDE A=0.7 AVERAGED OVER TWO SEEDS OF THE GENEVAL TASK"
        let long = Self.chart([(0, 0), (1, 1)], name: name)
        let img = long.raster()
        #expect(img.width > 720)
        // The legend text's last inked column lies inside the canvas, with room to spare.
        let ink = RGB(30, 30, 30)
        let inked = (0..<img.width).filter { x in (40..<60).contains { img[x, $0] == ink } }
        let last = try #require(inked.last)
        #expect(last > 720 && last < img.width - 4, "last ink at \(last) of \(img.width)")
        // SVG: the canvas is at least as wide as the text at 7 px per character after its start.
        let svg = long.svg()
        let width = try #require(Double(svg.components(separatedBy: "width=\"")[1].prefix { $0 != "\"" }))
        let start = try #require(Double(svg.components(separatedBy: "<text x=\"").last!.prefix { $0 != "\"" }))
        #expect(width >= start + 7 * Double(name.count), "canvas \(width), text from \(start)")
    }
}
