/// A GRPO input that cannot be used (mismatched lengths, a non-finite reward, an option out of range), with a
/// message naming what is wrong.
public struct GRPOError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
