/// Running statistics of the objective over one optimizer step or one training stage: the numbers Flow-GRPO logs
/// per step (loss, policy loss, KL, approx KL, clip fraction) plus the ratio's mean, min and max.
public struct PolicyMetrics: Sendable, Equatable, Codable {
    public private(set) var terms = 0
    public private(set) var lossSum = 0.0
    public private(set) var policyLossSum = 0.0
    public private(set) var klSum = 0.0
    public private(set) var approxKLSum = 0.0
    public private(set) var clippedCount = 0
    public private(set) var ratioSum = 0.0
    public private(set) var ratioMin = Double.infinity
    public private(set) var ratioMax = -Double.infinity

    public init() {}

    /// Adds one (sample, timestep) term with its KL value and weight β.
    public mutating func add(_ term: PolicyTerm, kl: Double, beta: Double) {
        terms += 1
        policyLossSum += term.loss
        klSum += kl
        lossSum += term.loss + beta * kl
        approxKLSum += term.approxKL
        if term.isClipped { clippedCount += 1 }
        ratioSum += term.ratio
        ratioMin = min(ratioMin, term.ratio)
        ratioMax = max(ratioMax, term.ratio)
    }

    /// Adds one term of an objective without a likelihood ratio (DiffusionNFT): its ratio counts as 1, never clipped.
    public mutating func add(loss: Double, kl: Double, beta: Double) {
        terms += 1
        policyLossSum += loss
        klSum += kl
        lossSum += loss + beta * kl
        ratioSum += 1
        ratioMin = min(ratioMin, 1)
        ratioMax = max(ratioMax, 1)
    }

    /// Merges another accumulator (e.g. of a second mini-batch).
    public mutating func merge(_ other: PolicyMetrics) {
        terms += other.terms
        lossSum += other.lossSum
        policyLossSum += other.policyLossSum
        klSum += other.klSum
        approxKLSum += other.approxKLSum
        clippedCount += other.clippedCount
        ratioSum += other.ratioSum
        ratioMin = min(ratioMin, other.ratioMin)
        ratioMax = max(ratioMax, other.ratioMax)
    }

    private func mean(_ sum: Double) -> Double { terms == 0 ? 0 : sum / Double(terms) }
    public var loss: Double { mean(lossSum) }
    public var policyLoss: Double { mean(policyLossSum) }
    public var kl: Double { mean(klSum) }
    public var approxKL: Double { mean(approxKLSum) }
    public var clipFraction: Double { terms == 0 ? 0 : Double(clippedCount) / Double(terms) }
    public var ratioMean: Double { mean(ratioSum) }
}
