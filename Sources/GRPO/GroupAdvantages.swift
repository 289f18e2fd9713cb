/// Group-relative advantages (docs/algorithms.md §3.1, Flow-GRPO `PerPromptStatTracker`):
/// A_i = (r_i − mean_group(i)) / (std + 1e-4), the std taken over all rewards of the step (`global`, Flow-GRPO's
/// shipped default) or over the sample's own group (`group`); population std (numpy's default), as Flow-GRPO.
/// Samples whose advantage is zero carry no gradient and are skipped in training.

/// Which rewards the std dividing the centred rewards is taken over.
public enum AdvantageScale: String, Sendable, CaseIterable, Codable {
    /// Every reward of the step (Flow-GRPO `global_std = True`).
    case global
    /// The prompt's own group (Flow-GRPO `global_std = False`).
    case group
}

/// Options of the advantage computation.
public struct AdvantageOptions: Sendable, Equatable, Codable {
    public var scale: AdvantageScale
    /// Added to the std before dividing (Flow-GRPO: 1e-4).
    public var epsilon: Double

    public init(scale: AdvantageScale = .global, epsilon: Double = 1e-4) {
        self.scale = scale
        self.epsilon = epsilon
    }
}

/// The advantages of one step's samples and the statistics Flow-GRPO logs with them.
public struct AdvantageBatch: Sendable, Equatable {
    /// One per sample, in input order (not clipped: the objective clips, see `PPOClip`).
    public var advantages: [Double]
    /// Fraction of groups whose rewards are all equal (their advantages are all zero): `zero_std_ratio`.
    public var zeroStdRatio: Double
    /// Mean over groups of the group's reward std: `reward_std_mean`.
    public var rewardStdMean: Double
    /// Mean and (population) std of all rewards.
    public var rewardMean: Double
    public var rewardStd: Double
    /// Number of groups.
    public var groups: Int

    /// Whether sample i has a nonzero advantage (a zero one contributes no gradient, so it is not trained).
    public func isTrainable(_ i: Int) -> Bool { advantages[i] != 0 }
}

/// Computes group-relative advantages.
public enum GroupAdvantages {
    /// Advantages of `rewards`, grouped by `groups` (one key per sample, e.g. the prompt: samples with equal keys
    /// form a group, as Flow-GRPO groups by the decoded prompt string).
    public static func compute<Key: Hashable>(rewards: [Double], groups: [Key],
                                              options: AdvantageOptions = AdvantageOptions()) throws -> AdvantageBatch {
        guard !rewards.isEmpty else { throw GRPOError("no rewards to compute advantages from") }
        guard rewards.count == groups.count else {
            throw GRPOError("\(rewards.count) rewards but \(groups.count) group keys")
        }
        if let bad = rewards.firstIndex(where: { !$0.isFinite }) {
            throw GRPOError("reward of sample \(bad) is \(rewards[bad]); rewards must be finite")
        }
        guard options.epsilon > 0, options.epsilon.isFinite else {
            throw GRPOError("advantage epsilon must be positive, got \(options.epsilon)")
        }
        var members: [Key: [Int]] = [:]
        var order: [Key] = []
        for (i, key) in groups.enumerated() {
            if members[key] == nil { order.append(key) }
            members[key, default: []].append(i)
        }
        let (mean, std) = moments(rewards)
        var advantages = [Double](repeating: 0, count: rewards.count)
        var zeroStd = 0
        var stdSum = 0.0
        for key in order {
            let idx = members[key]!
            let values = idx.map { rewards[$0] }
            let (groupMean, groupStd) = moments(values)
            if values.allSatisfy({ $0 == values[0] }) { zeroStd += 1 }
            stdSum += groupStd
            let divisor = (options.scale == .global ? std : groupStd) + options.epsilon
            for i in idx { advantages[i] = (rewards[i] - groupMean) / divisor }
        }
        return AdvantageBatch(advantages: advantages, zeroStdRatio: Double(zeroStd) / Double(order.count),
                              rewardStdMean: stdSum / Double(order.count), rewardMean: mean, rewardStd: std,
                              groups: order.count)
    }

    /// Mean and population std (two passes, so equal values give exactly zero).
    static func moments(_ values: [Double]) -> (mean: Double, std: Double) {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        return (mean, variance.squareRoot())
    }
}
