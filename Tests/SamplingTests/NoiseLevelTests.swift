import Testing
import Sampling

/// Figure 2's reference values (docs/algorithms.md §5, matching the authors' notebook output).
struct NoiseLevelTests {
    @Test func flowSDEMatchesTheNotebook() throws {
        let r = try NoiseLevelReport(sampler: .flowSDE(a: 0.7), grid: TimeGrid(.linspace, steps: 16, shift: 1))
        let expected = [0.9847, 0.9254, 0.8309, 0.7612, 0.6957, 0.6318, 0.5685, 0.5056, 0.4429, 0.3805, 0.3183,
                        0.2565, 0.1953, 0.1354, 0.0800, 0.0480]
        for (a, b) in zip(r.perStep, expected) { #expect(abs(a - b) < 5e-5, "\(r.perStep)") }
        #expect(abs(r.accumulatedError - 0.5359) < 5e-5)
        #expect(r.ideal.last == 0 && abs(r.ideal[0] - 0.9375) < 1e-12)
    }

    @Test func danceSDEMatchesTheNotebook() throws {
        let grid = try TimeGrid(.linspace, steps: 16, shift: 1)
        let r3 = try NoiseLevelReport(sampler: .danceSDE(eta: 0.3), grid: grid)
        #expect(abs(r3.perStep.last! - 0.0875) < 5e-5 && abs(r3.accumulatedError - 0.1491) < 5e-5)
        let r7 = try NoiseLevelReport(sampler: .danceSDE(eta: 0.7), grid: grid)
        #expect(abs(r7.perStep.last! - 0.301) < 5e-4 && abs(r7.accumulatedError - 0.4457) < 5e-5)
    }

    @Test func cpsAndODEAreOnSchedule() throws {
        for kind in [SamplerKind.cps(eta: 0.7), .cps(eta: 1), .ode] {
            let r = try NoiseLevelReport(sampler: kind, grid: TimeGrid(.sd3, steps: 10, shift: 3))
            #expect(r.perStep == r.ideal && r.accumulatedError == 0)
        }
        #expect(throws: SamplingError.self) { _ = try NoiseLevelReport(sampler: .cps(eta: 3), grid: TimeGrid(.sd3, steps: 10, shift: 3)) }
    }

    /// The closed form (Theorem 1 for the SDEs, σ' for CPS) against the sampler's own step, by Monte Carlo: with
    /// n = 200,000 values the sample std has a relative standard error of 1/√(2n) ≈ 0.16 %, so 1 % is > 6 errors.
    @Test(arguments: [SamplerKind.flowSDE(a: 0.7), .flowSDE(a: 1), .danceSDE(eta: 0.3), .cps(eta: 0.7), .cps(eta: 1)])
    func theSamplerStepLeavesThePredictedLevel(kind: SamplerKind) throws {
        for grid in [try TimeGrid(.linspace, steps: 16, shift: 1), try TimeGrid(.sd3, steps: 10, shift: 3)] {
            let theory = try NoiseLevelReport(sampler: kind, grid: grid).perStep
            let measured = try NoiseLevelReport.measured(sampler: kind, grid: grid, samples: 200_000, seed: 3)
            for i in theory.indices where theory[i] > 0 {
                #expect(abs(measured[i] - theory[i]) < 0.01 * theory[i], "\(kind) step \(i): \(measured[i]) vs \(theory[i])")
            }
            // The last step to σ' = 0: CPS and the ODE leave nothing (up to float rounding), the SDEs leave noise.
            #expect(theory.last! > 0 || measured.last! < 1e-5)
        }
        #expect(throws: SamplingError.self) { _ = try NoiseLevelReport.measured(sampler: kind, grid: TimeGrid(.sd3, steps: 4, shift: 3), samples: 1, seed: 0) }
    }
}
