import Foundation

/// The secret that unlocks the dashboard's actions (pause, resume, cancel). Without one, actions are off. Requests
/// carry it as `Authorization: Bearer <token>` on a POST; a header (not a cookie) cannot be sent by another site's
/// page, so a logged-in browser cannot be tricked into an action.
public struct ActionToken: Sendable {
    private let secret: [UInt8]

    /// Tokens shorter than this are refused: a guessable token is worse than none.
    public static let minimumLength = 16

    public init?(_ token: String) {
        let bytes = Array(token.utf8)
        guard bytes.count >= ActionToken.minimumLength else { return nil }
        secret = bytes
    }

    /// True when the `Authorization` header value is `Bearer <the token>`, compared in constant time.
    public func accepts(authorization: String?) -> Bool {
        guard let value = authorization, value.hasPrefix("Bearer ") else { return false }
        let given = Array(value.utf8.dropFirst(7))
        var diff = UInt8(given.count == secret.count ? 0 : 1)
        for i in 0..<secret.count { diff |= secret[i] ^ (i < given.count ? given[i] : 0) }
        return diff == 0
    }
}
