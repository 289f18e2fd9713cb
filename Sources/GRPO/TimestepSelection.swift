import NumericCore

/// Which denoising steps of a rollout are trained (docs/algorithms.md §3.1 "Timesteps trained", §3.2).
/// Only stochastic steps have a log-probability, so every rule picks among those.
public enum TimestepSelection: Sendable, Equatable {
    /// The first ⌊N·fraction⌋ steps, in order (Flow-GRPO `timestep_fraction`: 0.99 of 10 steps trains 0…8).
    case fraction(Double)
    /// Per sample, a seeded permutation of steps 0…N−2 (the last step excluded, DanceGRPO's `ignore_last`), of
    /// which the first ⌊(N−1)·fraction⌋ are trained (DanceGRPO: 0.6).
    case randomFraction(Double)
    /// Every stochastic step: with an SDE window, exactly the window (Flow-GRPO-Fast, MixGRPO).
    case stochastic

    /// Throws unless a fraction lies in (0, 1].
    public func validate() throws {
        switch self {
        case let .fraction(f), let .randomFraction(f):
            guard f > 0, f <= 1 else { throw GRPOError("timestep fraction must be in (0, 1], got \(f)") }
        case .stochastic: break
        }
    }

    /// The trained steps of one sample, ascending: `stochastic[i]` tells whether step i injects noise, `key`
    /// seeds the random rule (derive it from run, step, prompt and sample). Throws if no step qualifies.
    public func steps(stochastic: [Bool], key: StreamKey) throws -> [Int] {
        try validate()
        let n = stochastic.count
        let candidates: [Int]
        switch self {
        case let .fraction(f):
            candidates = Array(0..<Int(Double(n) * f))
        case let .randomFraction(f):
            var order = Array(0..<max(0, n - 1))
            var stream = RandomStream(key: key)
            stream.shuffle(&order)
            candidates = Array(order.prefix(Int(Double(n - 1) * f))).sorted()
        case .stochastic:
            candidates = Array(0..<n)
        }
        let chosen = candidates.filter { stochastic[$0] }
        guard !chosen.isEmpty else {
            throw GRPOError("no stochastic step to train among \(n) steps with \(self)")
        }
        return chosen
    }
}
