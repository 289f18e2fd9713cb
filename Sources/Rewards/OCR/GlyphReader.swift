import Foundation
import Imaging
import Scenes

/// Reads text drawn in the built-in 5×7 font by analysis-by-synthesis:
/// 1. an ink map: each pixel's position on the background → text-colour line, in [0, 1];
/// 2. for each blur level σ ∈ {0, 0.5, 0.8, 1.0, 1.2, 1.5}·scale and each origin of the fixed 6-pixel character grid near
///    the inked extent, every cell is recognised by normalised cross-correlation (NCC) with the σ-blurred glyph
///    templates (cells without ink or below `minimumCorrelation` read as "?");
/// 3. the candidates (σ, origin, length) whose re-rendered text best matches the ink over one fixed region (by NCC)
///    are refined cell by cell against that whole-region match, and the best wins. Matching whole re-renderings
///    settles the text's length and alignment, and glyphs whose blurred strokes spill into each other.
/// Blank or unreadable cells inside the text read as "?".
public enum GlyphReader {
    /// Smallest correlation for a cell to be read as a character.
    public static let minimumCorrelation = 0.5
    /// Blur levels tried, in pixels of the 32 px canvas.
    static let blurLevels: [Double] = [0, 0.5, 0.8, 1.0, 1.2, 1.5]

    /// The text in `image`, or "" when there is no ink.
    public static func read(_ image: RGBImage) -> String {
        let s = max(1, image.width / 32)
        let w = image.width, h = image.height
        let ink = inkMap(image)
        let peak = ink.max() ?? 0
        guard peak > 0.15 else { return "" }
        var minX = Int.max, maxX = -1, minY = Int.max, maxY = -1
        for y in 0..<h { for x in 0..<w where ink[y * w + x] > 0.35 * peak {
            minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
        } }
        let region = Region(x0: max(0, minX - 3 * s), y0: max(0, minY - 3 * s),
                            x1: min(w, maxX + 1 + 3 * s), y1: min(h, maxY + 1 + 3 * s))
        let inkRegion = region.extract(ink, width: w)
        var candidates: [Candidate] = []
        for sigma in blurLevels {
            let bank = TemplateBank.make(scale: s, sigma: sigma * Double(s))
            for oy in (minY - 2 * s)...(minY + s) {
                for ox in (minX - 3 * s)...(minX + s) {
                    let estimate = (maxX + 1 - ox + s + 6 * s - 1) / (6 * s)
                    let maxCells = min(World.maxTextLength + 1, estimate + 1)
                    var cells: [Int?] = []
                    for i in 0..<maxCells {
                        cells.append(bank.recognise(ink, width: w, height: h, x: ox + 6 * s * i, y: oy))
                    }
                    for n in max(1, estimate - 1)...maxCells {
                        let glyphs = Array(cells.prefix(n))
                        let canvas = bank.render(glyphs, originX: ox, originY: oy, region: region)
                        candidates.append(Candidate(score: correlation(inkRegion, canvas), bank: bank,
                                                    originX: ox, originY: oy, glyphs: glyphs))
                    }
                }
            }
        }
        // Refine the most promising readings jointly: each cell in turn takes the glyph (or blank) that best
        // explains the whole region, so blur spilling between neighbouring glyphs is accounted for.
        candidates.sort { $0.score > $1.score }
        var best = candidates[0]
        var origins = Set<[Int]>(), shortlist: [Candidate] = []
        for c in candidates where shortlist.count < refinedCandidates && origins.insert([c.originX, c.originY]).inserted {
            shortlist.append(c)
        }
        for var c in shortlist {
            c.refine(ink: inkRegion, region: region)
            if c.score > best.score { best = c }
        }
        return String(best.glyphs.map { $0.map { best.bank.characters[$0] } ?? "?" })
    }

    /// Readings (best per grid origin) refined jointly after the grid search.
    static let refinedCandidates = 6

    /// One reading: a blur level's templates, a grid origin and a glyph (or blank) per cell.
    struct Candidate {
        var score: Double
        let bank: TemplateBank
        let originX: Int
        let originY: Int
        var glyphs: [Int?]

        /// Coordinate ascent over cells (two passes), maximising the region's correlation.
        mutating func refine(ink: [Double], region: Region) {
            let options: [Int?] = [nil] + bank.characters.indices.map { Optional($0) }
            for _ in 0..<2 {
                for i in glyphs.indices {
                    var bestGlyph = glyphs[i]
                    for option in options where option != glyphs[i] {
                        var trial = glyphs
                        trial[i] = option
                        let score = GlyphReader.correlation(ink, bank.render(trial, originX: originX, originY: originY,
                                                                            region: region))
                        if score > self.score + 1e-9 {
                            self.score = score
                            bestGlyph = option
                        }
                    }
                    glyphs[i] = bestGlyph
                }
            }
            // A trailing blank cell reads as nothing.
            while glyphs.count > 1, glyphs.last! == nil { glyphs.removeLast() }
        }
    }

    /// Ink in [0, 1] per pixel: how far along the background → text-colour line each pixel lies.
    static func inkMap(_ image: RGBImage) -> [Double] {
        let bg = PixelLabels.estimateBackground(image)
        let t = WorldColors.text
        let d = (Double(Int(t.r) - bg.0), Double(Int(t.g) - bg.1), Double(Int(t.b) - bg.2))
        let norm2 = max(1, d.0 * d.0 + d.1 * d.1 + d.2 * d.2)
        var ink = [Double](repeating: 0, count: image.width * image.height)
        for p in ink.indices {
            let r = Double(Int(image.pixels[3 * p]) - bg.0), g = Double(Int(image.pixels[3 * p + 1]) - bg.1)
            let b = Double(Int(image.pixels[3 * p + 2]) - bg.2)
            ink[p] = max(0, min(1, (r * d.0 + g * d.1 + b * d.2) / norm2))
        }
        return ink
    }

    /// Pearson correlation of two equally long vectors (0 when either is constant).
    static func correlation(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count)
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in a.indices {
            let x = a[i] - ma, y = b[i] - mb
            sab += x * y; saa += x * x; sbb += y * y
        }
        return saa < 1e-12 || sbb < 1e-12 ? 0 : sab / (saa * sbb).squareRoot()
    }
}

/// A rectangle [x0, x1) × [y0, y1) of the image.
struct Region {
    var x0, y0, x1, y1: Int
    var width: Int { x1 - x0 }
    var height: Int { y1 - y0 }

    func extract(_ values: [Double], width w: Int) -> [Double] {
        var out = [Double]()
        out.reserveCapacity(width * height)
        for y in y0..<y1 { for x in x0..<x1 { out.append(values[y * w + x]) } }
        return out
    }
}

/// Blurred glyph templates at one scale and blur: each glyph drawn at `scale` in a window with a margin of
/// `margin` pixels on every side, blurred, and kept both raw (for re-rendering) and normalised (for NCC).
struct TemplateBank {
    let scale: Int
    let margin: Int
    let windowWidth: Int
    let windowHeight: Int
    let characters: [Character]
    let raw: [[Double]]
    let normalised: [[Double]]

    private static let cache = TemplateCache()

    static func make(scale: Int, sigma: Double) -> TemplateBank {
        cache.bank(scale: scale, sigma: sigma)
    }

    init(scale s: Int, sigma: Double) {
        scale = s
        margin = s + Int((2 * sigma).rounded(.up))
        windowWidth = 5 * s + 2 * margin
        windowHeight = 7 * s + 2 * margin
        characters = BitmapFont.textAlphabet
        var raw: [[Double]] = []
        for ch in characters {
            var img = [Double](repeating: 0, count: windowWidth * windowHeight)
            for (r, bits) in BitmapFont.glyph(ch).enumerated() {
                for c in 0..<5 where bits & (1 << (4 - c)) != 0 {
                    for dy in 0..<s { for dx in 0..<s {
                        img[(margin + r * s + dy) * windowWidth + margin + c * s + dx] = 1
                    } }
                }
            }
            raw.append(Self.blur(img, width: windowWidth, height: windowHeight, sigma: sigma))
        }
        self.raw = raw
        normalised = raw.map { Self.centred($0) ?? $0 }
    }

    /// The index of the best glyph for the cell whose glyph box starts at (x, y) (nil: blank or unreadable).
    func recognise(_ ink: [Double], width w: Int, height h: Int, x: Int, y: Int) -> Int? {
        var window = [Double](repeating: 0, count: windowWidth * windowHeight)
        for wy in 0..<windowHeight {
            let iy = y - margin + wy
            guard iy >= 0 && iy < h else { continue }
            for wx in 0..<windowWidth {
                let ix = x - margin + wx
                if ix >= 0 && ix < w { window[wy * windowWidth + wx] = ink[iy * w + ix] }
            }
        }
        guard window.reduce(0, +) > Double(scale * scale), let v = Self.centred(window) else { return nil }
        var best = (index: -1, score: -Double.infinity)
        for (k, t) in normalised.enumerated() {
            var dot = 0.0
            for i in 0..<v.count { dot += v[i] * t[i] }
            if dot > best.score { best = (k, dot) }
        }
        return best.score >= GlyphReader.minimumCorrelation ? best.index : nil
    }

    /// Re-renders glyphs (nil = empty cell) on the grid starting at the origin, cropped to `region`.
    func render(_ glyphs: [Int?], originX: Int, originY: Int, region: Region) -> [Double] {
        var canvas = [Double](repeating: 0, count: region.width * region.height)
        for (i, glyph) in glyphs.enumerated() {
            guard let glyph else { continue }
            let wx0 = originX + 6 * scale * i - margin, wy0 = originY - margin
            let t = raw[glyph]
            for wy in 0..<windowHeight {
                let cy = wy0 + wy - region.y0
                guard cy >= 0 && cy < region.height else { continue }
                for wx in 0..<windowWidth {
                    let cx = wx0 + wx - region.x0
                    if cx >= 0 && cx < region.width { canvas[cy * region.width + cx] += t[wy * windowWidth + wx] }
                }
            }
        }
        return canvas
    }

    static func centred(_ v: [Double]) -> [Double]? {
        let mean = v.reduce(0, +) / Double(v.count)
        let c = v.map { $0 - mean }
        let norm = c.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm < 1e-9 ? nil : c.map { $0 / norm }
    }

    static func blur(_ img: [Double], width w: Int, height h: Int, sigma: Double) -> [Double] {
        guard sigma > 0 else { return img }
        let r = Int((3 * sigma).rounded(.up))
        var k = (-r...r).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let sum = k.reduce(0, +)
        k = k.map { $0 / sum }
        var tmp = [Double](repeating: 0, count: w * h), out = tmp
        for y in 0..<h { for x in 0..<w {
            var s = 0.0
            for (i, kv) in k.enumerated() { let xx = x + i - r; if xx >= 0 && xx < w { s += kv * img[y * w + xx] } }
            tmp[y * w + x] = s
        } }
        for y in 0..<h { for x in 0..<w {
            var s = 0.0
            for (i, kv) in k.enumerated() { let yy = y + i - r; if yy >= 0 && yy < h { s += kv * tmp[yy * w + x] } }
            out[y * w + x] = s
        } }
        return out
    }
}

/// Template banks are pure functions of (scale, σ): build each once per process.
final class TemplateCache: @unchecked Sendable {
    private var banks: [String: TemplateBank] = [:]
    private let lock = NSLock()

    func bank(scale: Int, sigma: Double) -> TemplateBank {
        let key = "\(scale)/\(sigma)"
        lock.lock()
        defer { lock.unlock() }
        if let b = banks[key] { return b }
        let b = TemplateBank(scale: scale, sigma: sigma)
        banks[key] = b
        return b
    }
}
