import Testing
import Sampling

struct TimeGridTests {
    @Test func sd3ScheduleMatchesDiffusers() throws {
        // docs/algorithms.md §1: 10 steps, shift 3 (computed there from diffusers' formula).
        let expected = [1, 0.9601, 0.9133, 0.8577, 0.7904, 0.7073, 0.6022, 0.4649, 0.2780, 0.0089, 0]
        let g = try TimeGrid(.sd3, steps: 10, shift: 3)
        #expect(g.sigmas.count == 11)
        for (a, b) in zip(g.sigmas, expected) { #expect(abs(a - b) < 1e-4, "\(g.sigmas)") }
        // The smallest sigma is shifted twice: s(s(0.001)) with shift 3.
        let s = { (u: Double) in 3 * u / (1 + 2 * u) }
        for n in [2, 10, 40] { #expect(abs(try TimeGrid(.sd3, steps: n, shift: 3)[n - 1] - s(s(0.001))) < 1e-12) }
        #expect(try TimeGrid(.sd3, steps: 1, shift: 3).sigmas == [1, 0])
    }

    @Test func linspaceAndDanceSchedules() throws {
        let g = try TimeGrid(.linspace, steps: 16, shift: 1)
        for i in 0...16 { #expect(abs(g[i] - (1 - Double(i) / 16)) < 1e-15) }
        let d = try TimeGrid(.dance, steps: 4, shift: 3)
        // s(u) = 3u/(1 + 2u) at u = 1, 0.75, 0.5, 0.25, 0.
        let expected = [1, 2.25 / 2.5, 1.5 / 2, 0.75 / 1.5, 0]
        for (a, b) in zip(d.sigmas, expected) { #expect(abs(a - b) < 1e-15) }
    }

    @Test func gridsDecreaseFromOneToZero() throws {
        for kind in TimeGrid.Kind.allCases {
            for steps in [1, 6, 10, 28, 40] {
                let g = try TimeGrid(kind, steps: steps, shift: 3)
                #expect(g.sigmas.first == 1 && g.sigmas.last == 0)
                #expect(zip(g.sigmas, g.sigmas.dropFirst()).allSatisfy { $0 > $1 })
            }
        }
    }

    @Test func invalidGridsAreClearErrors() {
        for (steps, shift, needle) in [(0, 3.0, "steps"), (-2, 3.0, "steps"), (10, 0.0, "shift"), (10, -1.0, "shift"),
                                       (10, .infinity, "shift"), (10, .nan, "shift")] {
            #expect { _ = try TimeGrid(.sd3, steps: steps, shift: shift) }
                throws: { ($0 as? SamplingError)?.message.contains(needle) == true }
        }
        #expect(throws: SamplingError.self) { try validateStepCounts(train: 10, eval: 8) }
        #expect(throws: SamplingError.self) { try validateStepCounts(train: 0, eval: 8) }
        #expect(throws: Never.self) { try validateStepCounts(train: 10, eval: 40) }
    }

    @Test func invalidSamplerOptionsAreClearErrors() throws {
        for (name, noise, needle) in [("cps", 1.5, "[0, 1]"), ("cps", -0.1, "[0, 1]"), ("flow-sde", 0, "> 0"),
                                      ("flow-sde", -1, "> 0"), ("dance-sde", 0, "> 0"), ("dance-sde", .nan, "> 0"),
                                      ("ddim", 0.5, "unknown sampler")] {
            #expect { _ = try SamplerKind(name: name, noise: noise) }
                throws: { ($0 as? SamplingError)?.message.contains(needle) == true }
        }
        #expect(try SamplerKind(name: "cps", noise: 0.7) == .cps(eta: 0.7))
        let grid = try TimeGrid(.sd3, steps: 10, shift: 3)
        #expect(throws: SamplingError.self) { _ = try SamplerConfig(kind: .cps(eta: 0.7), grid: grid, sdeWindow: 8..<12) }
        #expect(throws: SamplingError.self) { _ = try SamplerConfig(kind: .cps(eta: 0.7), grid: grid, sdeWindow: 3..<3) }
        #expect(throws: SamplingError.self) { _ = try SamplerConfig(kind: .cps(eta: 2), grid: grid) }
    }
}

struct StepCountTests {
    @Test func defaultsAndValidation() throws {
        #expect(StepCounts.standard.train == 10 && StepCounts.standard.eval == 40)
        #expect(StepCounts.fluxLike.eval == 28)
        #expect(try StepCounts().eval == 40)
        #expect { _ = try StepCounts(train: 10, eval: 4) } throws: { ($0 as? SamplingError)?.message.contains("at least the train steps") == true }
    }
}
