import Foundation
import NumericCore
import Testing
import Sampling

/// Each step against a direct evaluation of docs/algorithms.md §2's equations, written here from the document.
struct StepEquationTests {
    let d = 64
    private func draw(_ n: Int, _ seed: UInt64, scale: Float = 1) -> [Float] {
        var s = RandomStream(seed: seed, domain: "step-test")
        return s.gaussians(n).map { $0 * scale }
    }

    private func maxDiff(_ a: [Float], _ b: [Double]) -> Double {
        zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
    }

    private func gaussianLogProb(_ next: [Float], _ mean: [Double], _ std: Double) -> Double {
        let n = Double(next.count)
        return next.indices.reduce(0.0) { acc, i in
            let e = Double(next[i]) - mean[i]
            return acc + (-e * e / (2 * std * std) - log(std) - log((2 * Double.pi).squareRoot())) / n
        }
    }

    static let sigmaPairs: [(Double, Double)] = [(1, 0.9601), (0.9133, 0.8577), (0.6022, 0.4649), (0.2780, 0.0089),
                                                  (0.0089, 0), (0.5, 0.25)]

    @Test(arguments: sigmaPairs.indices)
    func odeStep(pair: Int) {
        let (sigma, next) = Self.sigmaPairs[pair]
        let x = draw(d, 1), v = draw(d, 2)
        let r = SamplerStep.apply(Transition(kind: .ode, sigma: sigma, sigmaNext: next, sigmaOne: 0.9601), kind: .ode,
                                  x: x, v: v, noise: nil, form: .original)
        let expected = x.indices.map { Double(x[$0]) + Double(v[$0]) * (next - sigma) } // x' = x + v·dt
        #expect(maxDiff(r.next, expected) < 1e-6 && r.std == 0 && r.logProb == nil)
    }

    @Test(arguments: sigmaPairs.indices)
    func flowSDEStep(pair: Int) {
        let (sigma, next) = Self.sigmaPairs[pair]
        let a = 0.7, sigmaOne = 0.9601
        let x = draw(d, 3), v = draw(d, 4), z = draw(d, 5)
        let r = SamplerStep.apply(Transition(kind: .flowSDE(a: a), sigma: sigma, sigmaNext: next, sigmaOne: sigmaOne),
                                  kind: .flowSDE(a: a), x: x, v: v, noise: z, form: .original)
        let dt = next - sigma
        let st = a * (sigma / (1 - (sigma == 1 ? sigmaOne : sigma))).squareRoot()
        // μ = x·(1 + σ_t²·dt/(2σ)) + v·(1 + σ_t²·(1−σ)/(2σ))·dt; x' = μ + σ_t·√Δt·z.
        let mu = x.indices.map { Double(x[$0]) * (1 + st * st * dt / (2 * sigma))
            + Double(v[$0]) * (1 + st * st * (1 - sigma) / (2 * sigma)) * dt }
        let std = st * (-dt).squareRoot()
        #expect(zip(r.mean, mu).map { abs($0 - $1) }.max()! < 1e-6)
        #expect(abs(r.std - std) < 1e-12)
        #expect(maxDiff(r.next, x.indices.map { mu[$0] + std * Double(z[$0]) }) < 1e-6)
        #expect(abs(r.logProb! - gaussianLogProb(r.next, mu, std)) < 1e-6)
        let exact = SamplerStep.apply(Transition(kind: .flowSDE(a: a), sigma: sigma, sigmaNext: next, sigmaOne: sigmaOne),
                                      kind: .flowSDE(a: a), x: x, v: v, noise: z, form: .exact)
        #expect(exact.logProb == r.logProb) // the original code keeps the full Gaussian
    }

    @Test(arguments: sigmaPairs.indices)
    func danceSDEStep(pair: Int) {
        let (sigma, next) = Self.sigmaPairs[pair]
        let eta = 0.3
        let x = draw(d, 6), v = draw(d, 7), z = draw(d, 8)
        let r = SamplerStep.apply(Transition(kind: .danceSDE(eta: eta), sigma: sigma, sigmaNext: next, sigmaOne: 0.9),
                                  kind: .danceSDE(eta: eta), x: x, v: v, noise: z, form: .original)
        let dt = next - sigma
        // DG's form: μ = x + v·dσ − ½η²·score·dσ with score = −(x − (1−σ)x̂0)/σ², x̂0 = x − σv.
        let mu = x.indices.map { i -> Double in
            let xi = Double(x[i]), vi = Double(v[i])
            let score = -(xi - (1 - sigma) * (xi - sigma * vi)) / (sigma * sigma)
            return xi + vi * dt - 0.5 * eta * eta * score * dt
        }
        let std = eta * (-dt).squareRoot()
        #expect(zip(r.mean, mu).map { abs($0 - $1) }.max()! < 1e-6)
        #expect(maxDiff(r.next, x.indices.map { mu[$0] + std * Double(z[$0]) }) < 1e-6)
        #expect(abs(r.logProb! - gaussianLogProb(r.next, mu, std)) < 1e-6)
    }

    @Test(arguments: sigmaPairs.indices)
    func cpsStep(pair: Int) {
        let (sigma, next) = Self.sigmaPairs[pair]
        for eta in [0.3, 0.7, 1.0] {
            let x = draw(d, 9), v = draw(d, 10), z = draw(d, 11)
            let t = Transition(kind: .cps(eta: eta), sigma: sigma, sigmaNext: next, sigmaOne: 0.9)
            let r = SamplerStep.apply(t, kind: .cps(eta: eta), x: x, v: v, noise: z, form: .original)
            let s = next * sin(eta * Double.pi / 2)
            // x̂0 = x − σv, x̂1 = x + (1−σ)v, μ = (1−σ')x̂0 + √(σ'² − s²)·x̂1, x' = μ + s·z.
            let mu = x.indices.map { i -> Double in
                let x0 = Double(x[i]) - sigma * Double(v[i]), x1 = Double(x[i]) + (1 - sigma) * Double(v[i])
                return (1 - next) * x0 + max(0, next * next - s * s).squareRoot() * x1
            }
            #expect(zip(r.mean, mu).map { abs($0 - $1) }.max()! < 1e-6, "η \(eta)")
            #expect(abs(r.std - s) < 1e-15)
            if next == 0 {
                #expect(r.logProb == nil && r.next.indices.allSatisfy { Double(r.next[$0]) == Double(Float(mu[$0])) || abs(Double(r.next[$0]) - mu[$0]) < 1e-6 })
                continue
            }
            let xn = x.indices.map { mu[$0] + s * Double(z[$0]) }
            #expect(maxDiff(r.next, xn) < 1e-6)
            // CPS's log-prob: −mean (x' − μ)², no constants, no 1/(2s²).
            let lp = -r.next.indices.reduce(0.0) { $0 + pow(Double(r.next[$1]) - mu[$1], 2) } / Double(d)
            #expect(abs(r.logProb! - lp) < 1e-6)
            let exact = SamplerStep.apply(t, kind: .cps(eta: eta), x: x, v: v, noise: z, form: .exact)
            #expect(abs(exact.logProb! - gaussianLogProb(exact.next, mu, s)) < 1e-6)
        }
    }

    @Test func cpsWithEtaZeroIsTheODEStepBitForBit() {
        for (sigma, next) in Self.sigmaPairs {
            let x = draw(d, 12), v = draw(d, 13)
            let ode = SamplerStep.apply(Transition(kind: .ode, sigma: sigma, sigmaNext: next, sigmaOne: 0.9), kind: .ode,
                                        x: x, v: v, noise: nil, form: .original)
            let cps = SamplerStep.apply(Transition(kind: .cps(eta: 0), sigma: sigma, sigmaNext: next, sigmaOne: 0.9),
                                        kind: .cps(eta: 0), x: x, v: v, noise: nil, form: .original)
            #expect(cps.next == ode.next && cps.std == 0)
            // And the general CPS formula at η = 0 is the Euler step algebraically.
            let general = x.indices.map { i -> Double in
                let x0 = Double(x[i]) - sigma * Double(v[i]), x1 = Double(x[i]) + (1 - sigma) * Double(v[i])
                return (1 - next) * x0 + next * x1
            }
            #expect(maxDiff(ode.next, general) < 1e-6)
        }
    }

    @Test func logProbAndKLGradientsMatchFiniteDifferences() throws {
        let x = draw(d, 14), v = draw(d, 15), z = draw(d, 16), vRef = draw(d, 17, scale: 0.5)
        for kind in [SamplerKind.flowSDE(a: 0.7), .danceSDE(eta: 0.3), .cps(eta: 0.7)] {
            let t = Transition(kind: kind, sigma: 0.6022, sigmaNext: 0.4649, sigmaOne: 0.9601)
            let sampled = SamplerStep.apply(t, kind: kind, x: x, v: v, noise: z, form: .original).next
            for form in LogProbForm.allCases {
                func logp(_ vv: [Float]) -> Double {
                    LogProbability.of(next: sampled, mean: t.mean(x: x, v: vv), transition: t, kind: kind, form: form)!
                }
                let g = LogProbability.gradientWrtMean(next: sampled, mean: t.mean(x: x, v: v), transition: t,
                                                       kind: kind, form: form)!.map { $0 * t.velocityCoefficient }
                // Perturb in Double through μ directly to avoid Float rounding in v.
                for j in [0, 7, 33] {
                    let h = 1e-4
                    var mp = t.mean(x: x, v: v), mm = mp
                    mp[j] += h * t.velocityCoefficient
                    mm[j] -= h * t.velocityCoefficient
                    let fp = LogProbability.of(next: sampled, mean: mp, transition: t, kind: kind, form: form)!
                    let fm = LogProbability.of(next: sampled, mean: mm, transition: t, kind: kind, form: form)!
                    #expect(abs((fp - fm) / (2 * h) - g[j]) < 1e-6 * max(1, abs(g[j])), "\(kind) \(form) j=\(j)")
                }
                _ = logp(v)
            }
            for form in KLForm.allCases {
                let mp = t.mean(x: x, v: v), mr = t.mean(x: x, v: vRef)
                let g = try KLDivergence.gradientWrtPolicyMean(policyMean: mp, referenceMean: mr, transition: t, form: form)
                for j in [1, 20] {
                    let h = 1e-5
                    var a = mp, b = mp
                    a[j] += h
                    b[j] -= h
                    let fd = (try KLDivergence.value(policyMean: a, referenceMean: mr, transition: t, form: form)
                              - KLDivergence.value(policyMean: b, referenceMean: mr, transition: t, form: form)) / (2 * h)
                    #expect(abs(fd - g[j]) < 1e-6 * max(1, abs(g[j])), "\(kind) KL \(form)")
                }
            }
        }
    }

    @Test func klFormsRelateAsDocumented() throws {
        let x = draw(d, 18), v = draw(d, 19), vr = draw(d, 20)
        let t = Transition(kind: .flowSDE(a: 0.7), sigma: 0.7073, sigmaNext: 0.6022, sigmaOne: 0.9601)
        let mp = t.mean(x: x, v: v), mr = t.mean(x: x, v: vr)
        let sq = zip(mp, mr).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(d)
        let fg = try KLDivergence.value(policyMean: mp, referenceMean: mr, transition: t, form: .flowGRPO)
        let exact = try KLDivergence.value(policyMean: mp, referenceMean: mr, transition: t, form: .exact)
        let cps = try KLDivergence.value(policyMean: mp, referenceMean: mr, transition: t, form: .cps)
        let st = 0.7 * (0.7073 / (1 - 0.7073)).squareRoot(), dtAbs = 0.7073 - 0.6022
        #expect(abs(cps - sq) < 1e-12)
        #expect(abs(fg - sq / (2 * st * st)) < 1e-12)
        #expect(abs(fg - exact * dtAbs) < 1e-12) // FG's KL is the exact KL times Δt
        let ode = Transition(kind: .ode, sigma: 0.5, sigmaNext: 0.4, sigmaOne: 0.9)
        #expect(throws: SamplingError.self) { _ = try KLDivergence.value(policyMean: mp, referenceMean: mr, transition: ode, form: .exact) }
    }

    @Test func guidanceCombinesBranches() throws {
        let c: [Float] = [1, 2, 3], u: [Float] = [0, 1, 1]
        #expect(Guidance.combine(conditional: c, unconditional: u, scale: 4.5) == [4.5, 5.5, 10])
        var unconditionalCalls = 0
        let f = Guidance.guided(conditional: { x, _ in x }, unconditional: { x, _ in unconditionalCalls += 1; return x.map { _ in 0 } },
                                scale: 1)
        #expect(try f([1, 2], 0.5) == [1, 2] && unconditionalCalls == 0)
        let g = Guidance.guided(conditional: { x, _ in x }, unconditional: { x, _ in x.map { _ in 1 } }, scale: 2)
        #expect(try g([3, 5], 0.5) == [5, 9])
    }
}
