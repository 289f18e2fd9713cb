import Foundation

/// One curve of a line chart.
public struct LineSeries: Sendable {
    public var name: String
    public var points: [(x: Double, y: Double)]
    public var dashed: Bool

    public init(name: String, points: [(x: Double, y: Double)], dashed: Bool = false) {
        self.name = name
        self.points = points
        self.dashed = dashed
    }
}

/// A small line chart rendered either as self-contained SVG text or as a raster image (for PNG), with axes, ticks
/// at round numbers, a title and a legend. Series take colours from a fixed qualitative palette in order. The plot
/// area is `width` − 240 by `height` − 90 pixels; the canvas widens beyond `width` when a legend entry needs more
/// room.
public struct LineChart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [LineSeries]
    public var width = 720
    public var height = 440
    /// Whether the y axis reaches 0 (the default: differences read against the whole value); false fits it to the
    /// data, for curves whose differences are small beside their level (rewards near 0.6).
    public var yFromZero = true

    public init(title: String, xLabel: String, yLabel: String, series: [LineSeries]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    /// Series colours (Tableau 10).
    public static let palette: [RGB] = [RGB(31, 119, 180), RGB(255, 127, 14), RGB(44, 160, 44), RGB(214, 39, 40),
                                        RGB(148, 103, 189), RGB(140, 86, 75), RGB(227, 119, 194), RGB(127, 127, 127),
                                        RGB(188, 189, 34), RGB(23, 190, 207)]

    /// Plot-area geometry shared by both renderers.
    struct Frame {
        let left = 70.0, right: Double, top = 40.0, bottom: Double
        let xRange: ClosedRange<Double>, yRange: ClosedRange<Double>
        let xTicks: [Double], yTicks: [Double]

        func px(_ x: Double) -> Double { left + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * (right - left) }
        func py(_ y: Double) -> Double { bottom - (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * (bottom - top) }
    }

    func frame() -> Frame {
        let xs = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
        let ys = series.flatMap { $0.points.map(\.y) }.filter(\.isFinite)
        let xr = Self.niceRange(xs.min() ?? 0, xs.max() ?? 1)
        let yLo = ys.min() ?? 0, yHi = ys.max() ?? 1
        let yr = yFromZero ? Self.niceRange(min(0, yLo), max(0, yHi)) : Self.niceRange(yLo, yHi)
        return Frame(right: Double(width) - 170, bottom: Double(height) - 50, xRange: xr.range, yRange: yr.range,
                     xTicks: xr.ticks, yTicks: yr.ticks)
    }

    /// The canvas width: `width`, or more when the longest legend entry (line, gap, text measured by `textWidth`,
    /// margin) does not fit in the 170 pixels right of the plot area.
    func canvasWidth(_ f: Frame, textWidth: (String) -> Double) -> Int {
        let longest = series.map { textWidth($0.name) }.max() ?? 0
        return max(width, Int((f.right + 42 + longest + 12).rounded(.up)))
    }

    /// An upper estimate of the width of SVG text at 12 px sans-serif (the legend's), so a long label is not cut.
    static func svgTextWidth(_ s: String) -> Double { Double(s.count) * 7.2 }

    /// A range covering [lo, hi] with about five round tick values.
    static func niceRange(_ lo: Double, _ hi: Double) -> (range: ClosedRange<Double>, ticks: [Double]) {
        var lo = lo, hi = hi
        if hi <= lo { hi = lo + 1 }
        let raw = (hi - lo) / 5
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        lo = floor(lo / step) * step
        hi = ceil(hi / step) * step
        let ticks = stride(from: lo, through: hi + step / 2, by: step).map { $0 }
        return (lo...hi, ticks)
    }

    /// A short decimal rendering of a number (no trailing zeros).
    public static func formatted(_ v: Double) -> String { label(v) }

    static func label(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
        // Below 1e-2, three significant digits, so no tick reads "0." (%g turns scientific below 1e-4).
        if abs(v) < 1e-2 { return String(format: "%.3g", v).replacingOccurrences(of: "e-0", with: "e-") }
        return trimmingZeros(String(format: "%.3f", v))
    }

    /// A fixed-point decimal without its trailing zeros (and point): "0.250" → "0.25", "1.00" → "1".
    static func trimmingZeros(_ decimal: String) -> String {
        var s = decimal
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    /// The labels of one axis's ticks: when every tick is below 1e-3 in size (a KL of 1e-4), all the nonzero ones
    /// in scientific notation (5e-5, 1e-4, 1.5e-4), so an axis never mixes the two forms and no label runs long.
    static func tickLabels(_ ticks: [Double]) -> [String] {
        let largest = ticks.map(abs).max() ?? 0
        guard largest > 0 && largest < 1e-3 else { return ticks.map(label) }
        return ticks.map { v in
            if v == 0 { return "0" }
            let parts = String(format: "%.2e", v).split(separator: "e")
            return "\(trimmingZeros(String(parts[0])))e\(Int(parts[1]) ?? 0)"
        }
    }

    /// Self-contained SVG.
    public func svg() -> String {
        let f = frame()
        let width = canvasWidth(f, textWidth: Self.svgTextWidth)
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }
        func hex(_ c: RGB) -> String { String(format: "#%02x%02x%02x", c.r, c.g, c.b) }
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(Int(f.left))" y="22" font-size="15" font-weight="bold">\(esc(title))</text>

        """
        for (t, l) in zip(f.xTicks, Self.tickLabels(f.xTicks)) {
            out += "<line x1=\"\(f.px(t))\" y1=\"\(f.top)\" x2=\"\(f.px(t))\" y2=\"\(f.bottom)\" stroke=\"#e6e6e6\"/>"
            out += "<text x=\"\(f.px(t))\" y=\"\(f.bottom + 16)\" text-anchor=\"middle\">\(l)</text>\n"
        }
        for (t, l) in zip(f.yTicks, Self.tickLabels(f.yTicks)) {
            out += "<line x1=\"\(f.left)\" y1=\"\(f.py(t))\" x2=\"\(f.right)\" y2=\"\(f.py(t))\" stroke=\"#e6e6e6\"/>"
            out += "<text x=\"\(f.left - 6)\" y=\"\(f.py(t) + 4)\" text-anchor=\"end\">\(l)</text>\n"
        }
        out += "<rect x=\"\(f.left)\" y=\"\(f.top)\" width=\"\(f.right - f.left)\" height=\"\(f.bottom - f.top)\" fill=\"none\" stroke=\"#444\"/>\n"
        out += "<text x=\"\((f.left + f.right) / 2)\" y=\"\(Double(height) - 12)\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
        out += "<text transform=\"translate(18 \((f.top + f.bottom) / 2)) rotate(-90)\" text-anchor=\"middle\">\(esc(yLabel))</text>\n"
        for (k, s) in series.enumerated() {
            let color = hex(Self.palette[k % Self.palette.count])
            let pts = s.points.filter { $0.x.isFinite && $0.y.isFinite }
                .map { String(format: "%.2f,%.2f", f.px($0.x), f.py($0.y)) }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"6 4\"" : "") points=\"\(pts)\"/>\n"
            for p in s.points where p.x.isFinite && p.y.isFinite {
                out += "<circle cx=\(String(format: "\"%.2f\"", f.px(p.x))) cy=\(String(format: "\"%.2f\"", f.py(p.y))) r=\"2.5\" fill=\"\(color)\"/>"
            }
            let ly = f.top + 10 + Double(k) * 18
            out += "\n<line x1=\"\(f.right + 12)\" y1=\"\(ly)\" x2=\"\(f.right + 36)\" y2=\"\(ly)\" stroke=\"\(color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"6 4\"" : "")/>"
            out += "<text x=\"\(f.right + 42)\" y=\"\(ly + 4)\">\(esc(s.name))</text>\n"
        }
        return out + "</svg>\n"
    }

    /// The chart as an image (for PNG output); text in the built-in font.
    public func raster() -> RGBImage {
        let f = frame()
        let width = canvasWidth(f) { Double(BitmapFont.width(of: $0)) }
        var img = RGBImage(width: width, height: height, fill: .white)
        let grid = RGB(230, 230, 230), axis = RGB(68, 68, 68), ink = RGB(30, 30, 30)
        for (t, l) in zip(f.xTicks, Self.tickLabels(f.xTicks)) {
            img.line(f.px(t), f.top, f.px(t), f.bottom, color: grid)
            BitmapFont.draw(l, into: &img, x: Int(f.px(t)) - BitmapFont.width(of: l) / 2, y: Int(f.bottom) + 6, color: ink)
        }
        for (t, l) in zip(f.yTicks, Self.tickLabels(f.yTicks)) {
            img.line(f.left, f.py(t), f.right, f.py(t), color: grid)
            BitmapFont.draw(l, into: &img, x: Int(f.left) - 6 - BitmapFont.width(of: l), y: Int(f.py(t)) - 3, color: ink)
        }
        img.line(f.left, f.top, f.right, f.top, color: axis)
        img.line(f.left, f.bottom, f.right, f.bottom, color: axis)
        img.line(f.left, f.top, f.left, f.bottom, color: axis)
        img.line(f.right, f.top, f.right, f.bottom, color: axis)
        BitmapFont.draw(title, into: &img, x: Int(f.left), y: 12, color: ink, scale: 2)
        BitmapFont.draw(xLabel, into: &img, x: Int((f.left + f.right) / 2) - BitmapFont.width(of: xLabel) / 2,
                        y: height - 20, color: ink)
        BitmapFont.draw(yLabel, into: &img, x: 4, y: Int(f.top) - 14, color: ink)
        for (k, s) in series.enumerated() {
            let color = Self.palette[k % Self.palette.count]
            let pts = s.points.filter { $0.x.isFinite && $0.y.isFinite }
            for (a, b) in zip(pts, pts.dropFirst()) {
                img.line(f.px(a.x), f.py(a.y), f.px(b.x), f.py(b.y), color: color, thickness: 2, dash: s.dashed ? 6 : 0)
            }
            for p in pts { img.fillRect(x: Int(f.px(p.x)) - 2, y: Int(f.py(p.y)) - 2, width: 5, height: 5, color: color) }
            let ly = f.top + 10 + Double(k) * 18
            img.line(f.right + 12, ly, f.right + 36, ly, color: color, thickness: 2, dash: s.dashed ? 6 : 0)
            BitmapFont.draw(s.name, into: &img, x: Int(f.right) + 42, y: Int(ly) - 3, color: ink)
        }
        return img
    }
}

extension RGBImage {
    /// Draws a line segment (DDA), `thickness` pixels wide, optionally dashed with `dash`-pixel dashes; clipped.
    public mutating func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, color: RGB,
                              thickness: Int = 1, dash: Int = 0) {
        let n = max(1, Int(max(abs(x1 - x0), abs(y1 - y0)).rounded(.up)))
        for i in 0...n {
            if dash > 0 && (i / dash) % 2 == 1 { continue }
            let t = Double(i) / Double(n)
            let x = Int((x0 + (x1 - x0) * t).rounded()), y = Int((y0 + (y1 - y0) * t).rounded())
            fillRect(x: x - (thickness - 1) / 2, y: y - (thickness - 1) / 2, width: thickness, height: thickness, color: color)
        }
    }
}
