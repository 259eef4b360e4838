/// How a run's answer goes wrong, for testing a client's error handling.
public enum SimulatorFault: Sendable, Equatable {
    /// The vendor's own error answer for this status (its documented body, e.g. RSA's HTML 404,
    /// Instabase's 403 "consumption units", Nexio's 429 with `X-RateLimit-Reset`).
    case httpError(Int)
    /// A reverse proxy's HTML 502 page instead of the vendor's answer.
    case proxyBadGateway
    /// The normal answer cut to half its bytes (the HTTP framing stays valid; the JSON does not).
    case truncatedBody
    /// The normal answer with a status value no document lists (for Sequentum an integer string renders as a number).
    case unknownStatus(String)
    /// The normal answer after sleeping this many seconds on the serving thread (for client timeout tests).
    case delay(Double)
}
