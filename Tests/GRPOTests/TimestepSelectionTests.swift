import NumericCore
import Testing
@testable import GRPO

@Suite struct TimestepSelectionTests {
    let key = StreamKey(seed: 7, domain: "timesteps")

    @Test func flowGRPOFractionTrainsTheFirstStepsInOrder() throws {
        let all = [Bool](repeating: true, count: 10)
        #expect(try TimestepSelection.fraction(0.99).steps(stochastic: all, key: key) == Array(0..<9))
        #expect(try TimestepSelection.fraction(1).steps(stochastic: all, key: key) == Array(0..<10))
    }

    @Test func danceFractionIsSeededPerSampleAndExcludesTheLastStep() throws {
        let all = [Bool](repeating: true, count: 16)
        let rule = TimestepSelection.randomFraction(0.6)
        let a = try rule.steps(stochastic: all, key: key.child(1))
        #expect(a.count == 9 && !a.contains(15) && a == a.sorted())
        #expect(try rule.steps(stochastic: all, key: key.child(1)) == a)
        let others = try (2..<8).map { try rule.steps(stochastic: all, key: key.child($0)) }
        #expect(others.contains { $0 != a })
    }

    @Test func onlyStochasticStepsAreTrained() throws {
        let window = (0..<10).map { (3..<5).contains($0) }
        #expect(try TimestepSelection.stochastic.steps(stochastic: window, key: key) == [3, 4])
        #expect(try TimestepSelection.fraction(0.99).steps(stochastic: window, key: key) == [3, 4])
        #expect(throws: GRPOError.self) {
            try TimestepSelection.fraction(0.2).steps(stochastic: window, key: key)
        }
        #expect(throws: GRPOError("timestep fraction must be in (0, 1], got 1.5")) { try TimestepSelection.fraction(1.5).validate() }
    }
}
