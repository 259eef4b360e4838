import Logging
import RunStatusModel

/// How requests authenticate. The secret itself is read only when a request is made.
public enum AuthConfig: Sendable, Equatable {
    case none
    case bearer(CredentialSource)
    case apiKey(CredentialSource)
    case header(name: String, CredentialSource)

    public var source: CredentialSource? {
        switch self {
        case .none: nil
        case .bearer(let s), .apiKey(let s), .header(_, let s): s
        }
    }

    /// Header name and value for a secret.
    public func header(secret: String) -> (String, String)? {
        switch self {
        case .none: nil
        case .bearer: ("Authorization", "Bearer " + secret)
        case .apiKey: ("Authorization", "ApiKey " + secret)
        case .header(let name, _): (name, secret)
        }
    }

    /// What the landing page and logs may say about it (never the secret).
    public var summary: String {
        switch self {
        case .none: "none"
        case .bearer(let s): "bearer (\(s.summary))"
        case .apiKey(let s): "apikey (\(s.summary))"
        case .header(let name, let s): "header \(name) (\(s.summary))"
        }
    }
}
