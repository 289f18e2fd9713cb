import Foundation

/// The four transition rules of docs/algorithms.md §2, with their noise parameter.
public enum SamplerKind: Sendable, Equatable, CustomStringConvertible {
    /// Deterministic Euler step (§2 d).
    case ode
    /// Flow-GRPO's SDE, noise level a > 0: σ_t = a·√(σ/(1 − σ)) (§2 a).
    case flowSDE(a: Double)
    /// DanceGRPO's SDE, constant diffusion η > 0 (§2 b).
    case danceSDE(eta: Double)
    /// Coefficients-Preserving Sampling, η ∈ [0, 1] (§2 c).
    case cps(eta: Double)

    /// The kind named on the command line / in pipeline files: ode, flow-sde, dance-sde, cps.
    public init(name: String, noise: Double) throws {
        switch name {
        case "ode": self = .ode
        case "flow-sde": self = .flowSDE(a: noise)
        case "dance-sde": self = .danceSDE(eta: noise)
        case "cps": self = .cps(eta: noise)
        default:
            throw SamplingError("unknown sampler \"\(name)\"; samplers: ode, flow-sde, dance-sde, cps")
        }
        try validate()
    }

    /// Checks the noise parameter's range.
    public func validate() throws {
        switch self {
        case .ode: return
        case let .flowSDE(a):
            guard a.isFinite, a > 0 else { throw SamplingError("flow-sde noise level a must be > 0, got \(a)") }
        case let .danceSDE(eta):
            guard eta.isFinite, eta > 0 else { throw SamplingError("dance-sde eta must be > 0, got \(eta)") }
        case let .cps(eta):
            guard eta.isFinite, (0...1).contains(eta) else { throw SamplingError("cps eta must be in [0, 1], got \(eta)") }
        }
    }

    /// The command-line name.
    public var name: String {
        switch self {
        case .ode: "ode"
        case .flowSDE: "flow-sde"
        case .danceSDE: "dance-sde"
        case .cps: "cps"
        }
    }

    /// a or η (0 for the ODE).
    public var noise: Double {
        switch self {
        case .ode: 0
        case let .flowSDE(a): a
        case let .danceSDE(eta), let .cps(eta): eta
        }
    }

    public var description: String { self == .ode ? "ode" : "\(name)(\(noise))" }
}
