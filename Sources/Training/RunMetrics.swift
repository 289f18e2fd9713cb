import GRPO
import Scenes

/// The one vocabulary of what an RL step and an evaluation record, shared by `flowcps rl` (its `metrics.csv`) and
/// the pipeline (its `metrics` table), so that the two paths write the same names and the same values:
///
/// - `reward.mean`, `reward.std`, `reward.p10`, `reward.p90`: the weighted total reward trained on (mean,
///   population std and the 10th and 90th percentiles, interpolated as SQL's `percentile_cont`);
///   `reward.<name>`: each named reward's mean; `advantage.zero_std_ratio`, `advantage.group_std_mean`.
/// - `train.*`: the objective over all terms (`loss`, `policy_loss`, `kl`, `approx_kl`, `clip_fraction`,
///   `ratio_mean`, `ratio_min`, `ratio_max`), the first mini-batch's ratios before any update
///   (`first_ratio_min`, `first_ratio_max`; exactly 1 on-policy), `grad_norm` (mean over optimizer steps),
///   `grad_norm_max`, `lr`, `trained_samples`, `skipped_samples`; with several mini-batches `grad_cosine` (the mean
///   cosine between successive mini-batch gradients); per trained timestep index k, `approx_kl.t<k>` and
///   `clip_fraction.t<k>`.
/// - `eval.strict`, `eval.strict_se`, `eval.accuracy`, `eval.score` (the mean partial score), `eval.noise`, and per
///   category `eval.strict.<category>`, `eval.strict_se.<category>`,
///   `eval.accuracy.<category>`, `eval.score.<category>`.
/// - `seconds.<stage>`, `seconds.write`, `seconds.queue`: wall time (the only names whose values differ between
///   two runs of the same file).
///
/// Every sum runs in a fixed order (samples by (prompt, sample), categories in `PromptCategory` order), so the
/// values do not depend on which worker or shard finished first.
public enum RunMetrics {
    /// Reward statistics of a step; `scores` in any order (each named reward is averaged in key order).
    public static func rewards(_ batch: AdvantageBatch, scores: [SampleScore]) -> [NamedValue] {
        var named: [NamedValue] = [
            NamedValue(name: "reward.mean", value: batch.rewardMean),
            NamedValue(name: "reward.std", value: batch.rewardStd),
            NamedValue(name: "reward.p10", value: percentile(scores.map(\.total), 0.1)),
            NamedValue(name: "reward.p90", value: percentile(scores.map(\.total), 0.9)),
            NamedValue(name: "advantage.zero_std_ratio", value: batch.zeroStdRatio),
            NamedValue(name: "advantage.group_std_mean", value: batch.rewardStdMean),
        ]
        let ordered = scores.sorted { ($0.key.prompt, $0.key.sample) < ($1.key.prompt, $1.key.sample) }
        var sums: [String: (sum: Double, count: Int)] = [:], names: [String] = []
        for s in ordered {
            for r in s.rewards {
                if sums[r.name] == nil { names.append(r.name) }
                let old = sums[r.name] ?? (0, 0)
                sums[r.name] = (old.sum + r.value, old.count + 1)
            }
        }
        for name in names {
            let s = sums[name]!
            named.append(NamedValue(name: "reward.\(name)", value: s.sum / Double(s.count)))
        }
        return named
    }

    /// What a train stage did.
    public static func train(_ m: TrainMetrics) -> [NamedValue] {
        let a = m.all, f = m.firstMiniBatch
        let values: [(String, Double)] = [
            ("loss", a.loss), ("policy_loss", a.policyLoss), ("kl", a.kl), ("approx_kl", a.approxKL),
            ("clip_fraction", a.clipFraction), ("ratio_mean", a.ratioMean),
            ("ratio_min", a.terms == 0 ? 1 : a.ratioMin), ("ratio_max", a.terms == 0 ? 1 : a.ratioMax),
            ("first_ratio_min", f.terms == 0 ? 1 : f.ratioMin), ("first_ratio_max", f.terms == 0 ? 1 : f.ratioMax),
            ("grad_norm", m.gradNorms.isEmpty ? 0 : m.gradNorms.reduce(0, +) / Double(m.gradNorms.count)),
            ("grad_norm_max", m.gradNorms.max() ?? 0), ("lr", m.learningRate),
            ("trained_samples", Double(m.trainedSamples)), ("skipped_samples", Double(m.skippedSamples)),
        ]
        var perStep: [(String, Double)] = m.gradCosines.isEmpty ? []
            : [("grad_cosine", m.gradCosines.reduce(0, +) / Double(m.gradCosines.count))]
        for t in m.perTimestep.keys.sorted() {
            let p = m.perTimestep[t]!
            perStep += [("approx_kl.t\(t)", p.approxKL), ("clip_fraction.t\(t)", p.clipFraction)]
        }
        return (values + perStep).map { NamedValue(name: "train." + $0.0, value: $0.1) }
    }

    /// An evaluation: overall and per category.
    public static func eval(_ r: EvaluationReport) -> [NamedValue] {
        var named = [NamedValue(name: "eval.strict", value: r.overallStrict),
                     NamedValue(name: "eval.strict_se", value: r.overallStrictStandardError),
                     NamedValue(name: "eval.accuracy", value: r.overallAccuracy),
                     NamedValue(name: "eval.score", value: r.overallScore),
                     NamedValue(name: "eval.noise", value: r.meanNoise)]
        for k in PromptCategory.allCases {
            guard let c = r.categories[k], c.images > 0 else { continue }
            named += [NamedValue(name: "eval.strict.\(k.rawValue)", value: c.strict),
                      NamedValue(name: "eval.strict_se.\(k.rawValue)", value: c.strictStandardError),
                      NamedValue(name: "eval.accuracy.\(k.rawValue)", value: c.accuracy),
                      NamedValue(name: "eval.score.\(k.rawValue)", value: c.score)]
        }
        return named
    }

    /// The `p`-quantile of `values` with linear interpolation between order statistics (0 when empty).
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let v = values.sorted()
        guard !v.isEmpty else { return 0 }
        let position = p * Double(v.count - 1), below = Int(position.rounded(.down))
        guard below + 1 < v.count else { return v[below] }
        let fraction = position - Double(below)
        return fraction == 0 ? v[below] : v[below] + fraction * (v[below + 1] - v[below])
    }

    /// Wall time of a stage.
    public static func seconds(_ stage: String) -> String { "seconds.\(stage)" }

    /// True for the names whose values are wall time (they differ between two runs of the same file).
    public static func isTiming(_ name: String) -> Bool { name.hasPrefix("seconds.") }
}
