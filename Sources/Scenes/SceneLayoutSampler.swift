import Imaging
import NumericCore

/// Draws a concrete layout for a spec from a seeded stream: colours for uncoloured clauses, radii 4–7, positions
/// without overlap (boxes `World.objectGap` apart), and position relations that hold clearly (the first object
/// lies beyond the second along the relation's axis, with the cross-axis offset at most half the main offset).
public enum SceneLayoutSampler {
    /// Attempts before giving up; a valid spec is placed long before this in practice.
    static let maxAttempts = 2000

    /// A layout satisfying `spec`. Deterministic for a given stream state.
    public static func layout(for spec: SceneSpec, stream: inout RandomStream) throws -> SceneLayout {
        try SceneSpecValidator.validate(spec)
        switch spec {
        case let .text(t):
            let w = BitmapFont.width(of: t), h = BitmapFont.glyphHeight
            let x = stream.int(in: 1...(World.canvas - 1 - w))
            let y = stream.int(in: 1...(World.canvas - 1 - h))
            return SceneLayout(text: PlacedText(text: t, x: x, y: y))
        case let .objects(clauses, relation):
            for attempt in 0..<maxAttempts {
                // After many failures, prefer smaller objects (four 7-px objects barely fit).
                let maxRadius = attempt < maxAttempts / 2 ? World.radii.upperBound : World.radii.lowerBound + 1
                if let layout = tryPlace(clauses, relation: relation, maxRadius: maxRadius, stream: &stream) {
                    return layout
                }
            }
            // Rejection of whole layouts failed (four objects drawn at once rarely all fit): place the objects one
            // by one at the smallest radius, each with its own retries. Only scenes that failed above get here, so
            // every layout drawn before is unchanged.
            for _ in 0..<maxAttempts {
                if let layout = placeOneByOne(clauses, relation: relation, stream: &stream) { return layout }
            }
            throw PromptError(.impossibleScene,
                              "could not place \(PromptWriter.prompt(for: spec)) on a \(World.canvas)px canvas")
        }
    }

    private static func tryPlace(_ clauses: [ObjectClause], relation: SpatialRelation?, maxRadius: Int,
                                 stream: inout RandomStream) -> SceneLayout? {
        var placed: [PlacedObject] = []
        for clause in clauses {
            for _ in 0..<clause.count {
                let color = clause.color ?? stream.element(of: PaletteColor.allCases)
                let r = stream.int(in: World.radii.lowerBound...maxRadius)
                let lo = r + World.edgeMargin, hi = World.canvas - r - World.edgeMargin
                let candidate = PlacedObject(shape: clause.shape, color: color,
                                             centerX: stream.int(in: lo...hi), centerY: stream.int(in: lo...hi),
                                             radius: r)
                guard placed.allSatisfy({ separated($0, candidate) }) else { return nil }
                placed.append(candidate)
            }
        }
        if let relation, !holds(relation, first: placed[0], second: placed[1]) { return nil }
        return SceneLayout(objects: placed)
    }

    /// Objects placed in turn at the smallest radius, each position redrawn until it fits (nil when one does not
    /// fit in 200 draws, or the relation does not hold).
    private static func placeOneByOne(_ clauses: [ObjectClause], relation: SpatialRelation?,
                                      stream: inout RandomStream) -> SceneLayout? {
        var placed: [PlacedObject] = []
        let r = World.radii.lowerBound, lo = r + World.edgeMargin, hi = World.canvas - r - World.edgeMargin
        for clause in clauses {
            for _ in 0..<clause.count {
                let color = clause.color ?? stream.element(of: PaletteColor.allCases)
                var fitted: PlacedObject?
                for _ in 0..<200 {
                    let candidate = PlacedObject(shape: clause.shape, color: color, centerX: stream.int(in: lo...hi),
                                                 centerY: stream.int(in: lo...hi), radius: r)
                    if placed.allSatisfy({ separated($0, candidate) }) { fitted = candidate; break }
                }
                guard let fitted else { return nil }
                placed.append(fitted)
            }
        }
        if let relation, !holds(relation, first: placed[0], second: placed[1]) { return nil }
        return SceneLayout(objects: placed)
    }

    /// Whether two boxes are at least `World.objectGap` pixels apart along some axis.
    static func separated(_ a: PlacedObject, _ b: PlacedObject) -> Bool {
        let g = World.objectGap
        let ab = a.box, bb = b.box
        return ab.maxX + g <= bb.minX || bb.maxX + g <= ab.minX || ab.maxY + g <= bb.minY || bb.maxY + g <= ab.minY
    }

    /// Whether `first` stands in `relation` to `second` unambiguously.
    public static func holds(_ relation: SpatialRelation, first a: PlacedObject, second b: PlacedObject) -> Bool {
        let dx = a.centerX - b.centerX, dy = a.centerY - b.centerY
        let (main, cross) = relation.direction.dx != 0
            ? (dx * relation.direction.dx, abs(dy))
            : (dy * relation.direction.dy, abs(dx))
        return main >= a.radius + b.radius && 2 * cross <= main
    }
}

