import Scenes

/// GenEval's verdicts on one image, computed from detected objects.
public struct GenEvalVerdict: Sendable, Equatable {
    /// Flow-GRPO's partial-credit training score: the mean of the per-clause terms.
    public var score: Double
    /// Every count exact, every colour right, every position held.
    public var strict: Bool
    /// GenEval's standard rule: at least the count (exactly, for counting), colours and positions on the
    /// largest objects of each class.
    public var accuracy: Bool
    /// The prompt's GenEval category.
    public var tag: PromptCategory
    /// Why strict failed, one phrase per failed clause (empty when strict holds).
    public var reasons: [String]
    /// Every clause found with its exact count.
    public var countsRight = false
    /// With the counts right: whether every named colour is right (nil when a count is wrong or no colour is named).
    public var coloursRight: Bool?
    /// With counts and colours right: whether the relation holds (nil otherwise, or when no relation is named).
    /// Its mean over position images is the relation-given-objects rate (chance ≈ 0.28 in this world).
    public var relationHolds: Bool?
}

/// The rules of Flow-GRPO's GenEval reward server (`evaluate_reward` for score and strict, `evaluate` for the
/// standard accuracy), with shapes as classes. See docs/rewards.md for the rules term by term.
enum GenEvalScorer {
    static func objects(of req: GenEvalInclude, in detected: [DetectedObject]) -> [DetectedObject] {
        Array(detected.filter { $0.shape == req.shape && (!req.matchColor || $0.color == req.color) }
            .prefix(Detector.maxObjectsPerShape))
    }

    static func holds(_ relation: SpatialRelation, _ objects: [DetectedObject], _ targets: [DetectedObject]) -> Bool {
        objects.allSatisfy { o in targets.allSatisfy { RelativePosition.relations(of: o, to: $0).contains(relation) } }
    }

    static func verdict(_ req: GenEvalRequirements, detected: [DetectedObject]) -> GenEvalVerdict {
        // Partial credit and strict accuracy.
        var terms: [Double] = []
        var strict = true
        var reasons: [String] = []
        var groups: [[DetectedObject]?] = []
        var countsRight = true, coloursRight: Bool?, relationHolds: Bool?
        for inc in req.includes {
            let found = objects(of: inc, in: detected)
            let n = Double(inc.count)
            terms.append(1 - abs(n - Double(found.count)) / n)
            var matched = true
            if found.count != inc.count {
                strict = false
                matched = false
                countsRight = false
                reasons.append("expected \(inc.count) \(inc.shape.rawValue), found \(found.count)")
                if inc.color != nil || inc.position != nil { terms.append(0) }
            } else {
                if let color = inc.color {
                    let nc = found.filter { $0.color == color }.count
                    terms.append(1 - abs(n - Double(nc)) / n)
                    coloursRight = (coloursRight ?? true) && nc == inc.count
                    if nc != inc.count {
                        strict = false
                        matched = false
                        reasons.append("expected \(inc.count) \(color.word) \(inc.shape.rawValue), found \(nc)")
                    }
                }
                if let pos = inc.position, matched {
                    let holdsNow = groups[pos.target].map { holds(pos.relation, found, $0) } ?? false
                    if groups[pos.target] != nil { relationHolds = holdsNow }
                    if holdsNow {
                        terms.append(1)
                    } else {
                        terms.append(0)
                        strict = false
                        matched = false
                        reasons.append("\(inc.shape.rawValue) not \(pos.relation.rawValue) its target")
                    }
                }
            }
            groups.append(matched ? found : nil)
        }
        return GenEvalVerdict(score: terms.isEmpty ? 0 : terms.reduce(0, +) / Double(terms.count), strict: strict,
                              accuracy: standardAccuracy(req, detected: detected), tag: req.tag, reasons: reasons,
                              countsRight: countsRight, coloursRight: countsRight ? coloursRight : nil,
                              relationHolds: countsRight && coloursRight != false ? relationHolds : nil)
    }

    /// GenEval's `evaluate`: the largest `count` objects of each class must exist, carry the colour and hold the
    /// position; exclusions fail the image when too many objects of a class are present.
    static func standardAccuracy(_ req: GenEvalRequirements, detected: [DetectedObject]) -> Bool {
        var groups: [[DetectedObject]?] = []
        var correct = true
        for inc in req.includes {
            let found = Array(objects(of: inc, in: detected).prefix(inc.count))
            var matched = found.count >= inc.count
            if matched, let color = inc.color, found.filter({ $0.color == color }).count < inc.count { matched = false }
            if matched, let pos = inc.position {
                if let targets = groups[pos.target], holds(pos.relation, found, targets) {} else { matched = false }
            }
            if !matched { correct = false }
            groups.append(matched ? found : nil)
        }
        for ex in req.excludes where detected.filter({ $0.shape == ex.shape }).count >= ex.count { correct = false }
        return correct
    }
}
