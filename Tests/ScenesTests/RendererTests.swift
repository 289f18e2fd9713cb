import Imaging
import NumericCore
import Testing
import Scenes

struct RendererTests {
    /// Checks an image against a spec using pixel checks only.
    private func check(_ image: RGBImage, _ spec: SceneSpec, _ label: String) {
        switch spec {
        case let .text(t):
            #expect(PixelObjects.readText(in: image) == t, "\(label): text not readable")
        case let .objects(clauses, relation):
            let found = PixelObjects.find(in: image)
            #expect(found.count == spec.objectCount, "\(label): \(found.count) components")
            #expect(found.allSatisfy { $0.color != nil && $0.shape != nil }, "\(label): off-palette or unknown shape")
            for c in clauses {
                let n = found.filter { $0.shape == c.shape && (c.color == nil || $0.color == c.color) }.count
                #expect(n == c.count, "\(label): clause \(PromptWriter.phrase(c)) matched \(n)")
            }
            if let relation {
                let a = found.first { $0.shape == clauses[0].shape && (clauses[0].color == nil || $0.color == clauses[0].color) }!
                let b = found.first { $0.shape == clauses[1].shape && (clauses[1].color == nil || $0.color == clauses[1].color) }!
                let dx = a.centroidX - b.centroidX, dy = a.centroidY - b.centroidY
                let (main, cross) = relation.direction.dx != 0 ? (dx * Double(relation.direction.dx), abs(dy))
                                                               : (dy * Double(relation.direction.dy), abs(dx))
                #expect(main > 0 && cross < main, "\(label): relation \(relation.rawValue) does not hold")
            }
        }
    }

    @Test func everySpecRendersTheObjectsItAsksFor() throws {
        for (i, spec) in PromptGrammarTests.allSpecs.enumerated() {
            for sample in 0..<2 {
                let layout = try GroundTruth.layout(for: spec, seed: 5, sample: sample)
                check(SceneRenderer.render(layout), spec, "\(PromptWriter.prompt(for: spec)) #\(i).\(sample)")
            }
        }
    }

    @Test func pretrainingSamplesMatchTheirPrompts() throws {
        for i in 0..<300 {
            let sample = SceneSampler.sample(seed: 3, index: i)
            let spec = try PromptParser.parse(sample.prompt)
            #expect(spec == sample.spec)
            check(sample.image, spec, "pretrain \(i): \(sample.prompt)")
        }
    }

    /// The scene that stopped the base-v2 pre-training at step 10995 (seed 0, mix v2): "four cyan squares", whose
    /// 2000 whole-layout draws all failed. Objects are now placed one by one after that, and a scene never traps.
    @Test func crowdedScenesArePlacedOneByOne() throws {
        let samples = (10994 * 32..<10996 * 32).map { SceneSampler.sample(seed: 0, index: $0, mix: .v2) }
        let crowded = samples.filter { $0.prompt == "four cyan squares" }
        #expect(!crowded.isEmpty, "the stream no longer holds the scene this test is about")
        for s in crowded {
            #expect(s.layout.objects.count == 4 && s.layout.objects.allSatisfy { $0.color == .cyan && $0.shape == .square })
            check(s.image, s.spec, "crowded: \(s.prompt)")
        }
    }

    @Test func samePromptAndSeedGiveTheSameImage() throws {
        let a = try GroundTruth.render(prompt: "three triangles", seed: 9, sample: 2)
        let b = try GroundTruth.render(prompt: "three triangles", seed: 9, sample: 2)
        let c = try GroundTruth.render(prompt: "three triangles", seed: 9, sample: 3)
        #expect(a == b && a != c)
        #expect(SceneSampler.sample(seed: 1, index: 5).image == SceneSampler.sample(seed: 1, index: 5).image)
    }

    @Test func renderSizeScalesTheScene() throws {
        let spec = try PromptParser.parse("a red square and a blue circle")
        let layout = try GroundTruth.layout(for: spec, seed: 2)
        let small = PixelObjects.find(in: SceneRenderer.render(layout, size: 32))
        let large = PixelObjects.find(in: SceneRenderer.render(layout, size: 64))
        #expect(large.count == 2 && small.count == 2)
        for color in [PaletteColor.red, .blue] {
            let s = small.first { $0.color == color }!, l = large.first { $0.color == color }!
            #expect(l.area == 4 * s.area || abs(Double(l.area) / Double(s.area) - 4) < 0.25)
            #expect(abs(l.centroidX - 2 * s.centroidX) < 1 && abs(l.centroidY - 2 * s.centroidY) < 1)
            #expect(l.shape == s.shape)
        }
        let text = SceneRenderer.render(try GroundTruth.layout(for: .text("42"), seed: 1), size: 64)
        var ink = 0
        for y in 0..<64 { for x in 0..<64 where text[x, y] == WorldColors.text { ink += 1 } }
        let bits = "42".reduce(0) { n, ch in n + BitmapFont.glyph(ch).reduce(0) { $0 + $1.nonzeroBitCount } }
        #expect(ink == 4 * bits)
    }

    @Test func shapesFillTheirBoxesAsDesigned() {
        // Radius 5 at an integer centre: a 10×10 box; the square fills it, the circle ≈ π/4 of it, the triangle ≈ ½.
        for (shape, range) in [(ShapeKind.square, 100...100), (.circle, 70...86), (.triangle, 44...60)] {
            let layout = SceneLayout(objects: [PlacedObject(shape: shape, color: .green, centerX: 16, centerY: 16, radius: 5)])
            let found = PixelObjects.find(in: SceneRenderer.render(layout))
            #expect(found.count == 1 && range.contains(found[0].area), "\(shape) area \(found.first?.area ?? 0)")
            #expect(found[0].maxX - found[0].minX + 1 == 10 && found[0].shape == shape)
        }
    }

    @Test func paletteColoursAreFarApartAndFromTheBackground() {
        let colors = PaletteColor.allCases.map(\.rgb) + [WorldColors.background, WorldColors.text]
        for i in colors.indices {
            for j in colors.indices where j > i {
                let d = [Int(colors[i].r) - Int(colors[j].r), Int(colors[i].g) - Int(colors[j].g),
                         Int(colors[i].b) - Int(colors[j].b)]
                #expect(Double(d.reduce(0) { $0 + $1 * $1 }).squareRoot() >= 120, "\(colors[i]) vs \(colors[j])")
            }
        }
    }
}
