/// Why a poll failed. The raw value is the `reason` label of `runstatus_poll_errors_total`.
public enum PollErrorReason: String, CaseIterable, Sendable, Hashable {
    case timeout, connection, unauthorized, forbidden
    case notFound = "not_found"
    case badRequest = "bad_request"
    case rateLimited = "rate_limited"
    case serverError = "server_error"
    case decode
    case tooLarge = "too_large"
    /// What answered did not speak HTTP (no status line, a malformed head): the URL's host or port is not the vendor's API.
    case notHTTP = "protocol"
    /// The vendor redirected somewhere not followed (another origin, or past 5 redirects): the configured URL is
    /// not where the API lives.
    case redirect
    /// The vendor's TLS certificate could not be verified (unknown CA, wrong name, expired), or the client
    /// certificate was refused or unusable: a trust problem for the operator, not a network outage.
    case certificate

    /// The reasons that mean the vendor was not reached or refused our credentials: `runstatus_up` goes to 0.
    public var meansDown: Bool {
        switch self {
        case .timeout, .connection, .unauthorized, .forbidden, .notHTTP, .certificate: true
        default: false
        }
    }
}

/// A failed poll: a reason for the counter, a message for the log (never holding a secret),
/// and how long the vendor asked us to wait, if it did (`Retry-After`, `X-RateLimit-Reset`).
public struct PollError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: PollErrorReason
    public var message: String
    public var retryAfter: Double?
    /// The HTTP status, when there was an answer.
    public var status: Int?

    public init(_ reason: PollErrorReason, _ message: String, status: Int? = nil, retryAfter: Double? = nil) {
        self.reason = reason
        self.message = message
        self.status = status
        self.retryAfter = retryAfter
    }

    public var description: String {
        status.map { "\(reason.rawValue) (HTTP \($0)): \(message)" } ?? "\(reason.rawValue): \(message)"
    }
}
