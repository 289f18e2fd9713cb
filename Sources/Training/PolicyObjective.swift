import GRPO
import Sampling

/// The GRPO loss of one sample at one trained timestep as a function of the policy's velocity (docs/algorithms.md
/// §3.1, Flow-GRPO `train_sd3.py` / FlowCPS): μ_θ = a·x_i + b·v_θ (the sampler's step mean), logp_θ of the stored
/// x_{i+1}, the PPO-clip term (`PPOClip`), plus β·KL(μ_θ, μ_ref) with μ_ref from the frozen reference's velocity.
/// The gradient reaches the model through the mean: ∂L/∂v_θ = b·(∂L/∂logp·∂logp/∂μ + β·∂KL/∂μ).

/// What training needs of one stored rollout step.
public struct PolicyStep: Sendable, Equatable {
    /// x_i and the x_{i+1} the rollout drew.
    public var state: [Float]
    public var next: [Float]
    /// logp of x_{i+1} under the rollout policy.
    public var oldLogProb: Double
    public var advantage: Double

    public init(state: [Float], next: [Float], oldLogProb: Double, advantage: Double) {
        self.state = state
        self.next = next
        self.oldLogProb = oldLogProb
        self.advantage = advantage
    }
}

/// Options of the objective.
public struct ObjectiveOptions: Sendable, Equatable {
    public var clip: ClipOptions
    /// Weight of the KL penalty (0 turns it and the reference model off).
    public var beta: Double
    public var klForm: KLForm
    public var logProbForm: LogProbForm

    public init(clip: ClipOptions = ClipOptions(), beta: Double = 0, klForm: KLForm = .flowGRPO,
                logProbForm: LogProbForm = .original) {
        self.clip = clip
        self.beta = beta
        self.klForm = klForm
        self.logProbForm = logProbForm
    }
}

/// The value of one term and its gradient with respect to the policy velocity.
public struct ObjectiveTerm: Sendable {
    public var policy: PolicyTerm
    /// KL(μ_θ, μ_ref) (0 without a reference).
    public var kl: Double
    /// policy.loss + β·kl.
    public var loss: Double
    /// ∂loss/∂v_θ (D values).
    public var gradient: [Double]
}

/// Evaluates the objective.
public enum PolicyObjective {
    /// The term for velocity `v` (D values, Double so gradient checks can difference it exactly) of a step with
    /// `transition` of sampler `kind`; `reference` is the frozen model's velocity, needed when β > 0.
    public static func evaluate(velocity v: [Double], reference: [Double]?, step: PolicyStep, transition: Transition,
                                kind: SamplerKind, options: ObjectiveOptions) throws -> ObjectiveTerm {
        let d = step.state.count
        guard v.count == d, step.next.count == d else {
            throw SamplingError("velocity has \(v.count) values, state \(d), next state \(step.next.count)")
        }
        guard transition.isStochastic else { throw SamplingError("a deterministic step has no log-probability to train") }
        let a = transition.xCoefficient, b = transition.velocityCoefficient
        let mean = (0..<d).map { a * Double(step.state[$0]) + b * v[$0] }
        guard let logp = LogProbability.of(next: step.next, mean: mean, transition: transition, kind: kind,
                                           form: options.logProbForm),
              let dLogp = LogProbability.gradientWrtMean(next: step.next, mean: mean, transition: transition, kind: kind,
                                                         form: options.logProbForm)
        else { throw SamplingError("the log-probability is undefined for this step") }
        let policy = PPOClip.term(logProb: logp, oldLogProb: step.oldLogProb, advantage: step.advantage,
                                  options: options.clip)
        var gradient = dLogp.map { b * policy.gradientWrtLogProb * $0 }
        var kl = 0.0
        // With β > 0 the KL term trains; with β = 0 and a reference given it is only measured (train.log_base_kl).
        if options.beta > 0 || reference != nil {
            guard let reference, reference.count == d else {
                throw SamplingError("the KL term needs the reference velocity (\(d) values)")
            }
            let referenceMean = (0..<d).map { a * Double(step.state[$0]) + b * reference[$0] }
            kl = try KLDivergence.value(policyMean: mean, referenceMean: referenceMean, transition: transition,
                                        form: options.klForm)
            if options.beta > 0 {
                let dKL = try KLDivergence.gradientWrtPolicyMean(policyMean: mean, referenceMean: referenceMean,
                                                                 transition: transition, form: options.klForm)
                for j in 0..<d { gradient[j] += b * options.beta * dKL[j] }
            }
        }
        return ObjectiveTerm(policy: policy, kl: kl, loss: policy.loss + options.beta * kl, gradient: gradient)
    }

    /// The same for Float velocities (the model's).
    public static func evaluate(velocity v: [Float], reference: [Float]?, step: PolicyStep, transition: Transition,
                                kind: SamplerKind, options: ObjectiveOptions) throws -> ObjectiveTerm {
        try evaluate(velocity: v.map(Double.init), reference: reference?.map(Double.init), step: step,
                     transition: transition, kind: kind, options: options)
    }
}
