import Foundation
import Testing
@testable import GRPO

@Suite struct PPOClipTests {
    @Test func onPolicyTheRatioIsExactlyOneAndTheGradientIsMinusTheAdvantage() {
        for logp in [-3.7, 0, 12.25] {
            let t = PPOClip.term(logProb: logp, oldLogProb: logp, advantage: 0.8, options: ClipOptions())
            #expect(t.ratio == 1 && t.loss == -0.8 && t.gradientWrtLogProb == -0.8 && !t.isClipped && t.approxKL == 0)
        }
    }

    @Test func advantagesAreClippedBeforeUse() {
        let t = PPOClip.term(logProb: 0, oldLogProb: 0, advantage: 9, options: ClipOptions(advantageClip: 5))
        #expect(t.loss == -5)
    }

    /// Outside the clip range on the side the advantage pushes towards, the clipped branch is active and constant.
    @Test func theClippedBranchHasNoGradient() {
        let o = ClipOptions(clipRange: 0.1)
        let up = PPOClip.term(logProb: 0.2, oldLogProb: 0, advantage: 1, options: o) // r ≈ 1.22 > 1.1, A > 0
        #expect(up.isClipped && up.gradientWrtLogProb == 0 && abs(up.loss + 1.1) < 1e-12)
        // The other side stays unclipped: A > 0 and r < 1 − ε keeps −A·r (larger than −A·(1 − ε)).
        let down = PPOClip.term(logProb: -0.2, oldLogProb: 0, advantage: 1, options: o)
        #expect(down.isClipped && abs(down.gradientWrtLogProb + exp(-0.2)) < 1e-12)
    }

    @Test func gradientMatchesFiniteDifferences() {
        let o = ClipOptions(clipRange: 0.05)
        for (logp, adv) in [(0.01, 1.3), (-0.02, -0.7), (0.3, -2.0), (-0.3, -2.0), (0.3, 2.0), (-0.3, 2.0)] {
            let h = 1e-6
            let f = { (x: Double) in PPOClip.term(logProb: x, oldLogProb: 0, advantage: adv, options: o).loss }
            let numeric = (f(logp + h) - f(logp - h)) / (2 * h)
            let analytic = PPOClip.term(logProb: logp, oldLogProb: 0, advantage: adv, options: o).gradientWrtLogProb
            #expect(abs(numeric - analytic) < 1e-6, "logp \(logp) A \(adv): \(numeric) vs \(analytic)")
        }
    }

    @Test func metricsAverageOverTerms() {
        var m = PolicyMetrics()
        let o = ClipOptions(clipRange: 0.1)
        m.add(PPOClip.term(logProb: 0, oldLogProb: 0, advantage: 1, options: o), kl: 0.5, beta: 0.1)
        m.add(PPOClip.term(logProb: 0.5, oldLogProb: 0, advantage: 1, options: o), kl: 1.5, beta: 0.1)
        #expect(m.terms == 2 && m.clipFraction == 0.5 && m.kl == 1)
        #expect(abs(m.policyLoss - (-1 - 1.1) / 2) < 1e-12)
        #expect(abs(m.loss - (m.policyLoss + 0.1)) < 1e-12)
        #expect(m.ratioMin == 1 && m.ratioMax == exp(0.5))
        #expect(abs(m.approxKL - 0.0625) < 1e-12)
    }
}
