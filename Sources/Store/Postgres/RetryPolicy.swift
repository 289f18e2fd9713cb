import Foundation

/// Exponential backoff for reconnecting: `initial · factor^(n−1)`, capped at `maximum`, for at most `attempts` tries.
public struct RetryPolicy: Sendable {
    public var initial: TimeInterval
    public var factor: Double
    public var maximum: TimeInterval
    /// Failed attempts after which the error is thrown (nil: retry forever).
    public var attempts: Int?

    public init(initial: TimeInterval, factor: Double = 2, maximum: TimeInterval, attempts: Int?) {
        self.initial = initial
        self.factor = factor
        self.maximum = maximum
        self.attempts = attempts
    }

    /// Connect once, fail at once: commands a person types.
    public static let none = RetryPolicy(initial: 0, maximum: 0, attempts: 1)
    /// Workers: 0.1 s, 0.2 s, … up to 5 s between tries, for about two minutes.
    public static let `default` = RetryPolicy(initial: 0.1, maximum: 5, attempts: 30)

    /// The wait after the `failures`-th failure, or nil when the policy gives up.
    public func delay(afterFailure failures: Int) -> TimeInterval? {
        if let attempts, failures >= attempts { return nil }
        return min(maximum, initial * pow(factor, Double(failures - 1)))
    }
}
