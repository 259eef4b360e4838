/// A request an adapter wants made: a path and query relative to the target's base URL, and the
/// vendor-specific headers (auth and user headers are added by the runtime, not here).
public struct VendorRequest: Sendable, Equatable {
    /// Starts with `/`; already percent-encoded; may carry `?query`.
    public var pathAndQuery: String
    public var headers: [String: String]

    public init(pathAndQuery: String, headers: [String: String] = [:]) {
        self.pathAndQuery = pathAndQuery
        self.headers = headers
    }
}

/// An HTTP answer as the fetcher received it. Header names are lower-cased.
public struct VendorResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8]) {
        self.status = status
        var lowered: [String: String] = [:]
        for (k, v) in headers { lowered[k.lowercased()] = v }
        self.headers = lowered
        self.body = body
    }

    public init(status: Int, headers: [String: String] = [:], text: String) {
        self.init(status: status, headers: headers, body: Array(text.utf8))
    }
}

/// What decoding needs beyond the bytes.
public struct DecodeContext: Sendable {
    /// Zone for vendor times that carry none (RSA). Identifier as in the IANA database.
    public var timeZoneIdentifier: String
    /// Unix seconds now, for `Retry-After` given as an HTTP date and for `X-RateLimit-Reset`.
    public var now: Double

    public init(timeZoneIdentifier: String = "UTC", now: Double) {
        self.timeZoneIdentifier = timeZoneIdentifier
        self.now = now
    }
}

/// One vendor's run-status API: pure request building and pure decoding of bytes into observations.
/// No I/O happens here, so every vendor quirk the adapters document is testable on bytes alone.
///
/// Common to every vendor: any of them may answer with a proxy's HTML page, a truncated body, or a status value no
/// document lists. The first two are decode errors naming the field; the last maps to `unknown`, keeps the raw
/// value and is counted as unmapped. Durations: a finished run's is end − start, a running one's now − start, and
/// with no start there is none; a vendor-reported duration measures processing time and is a separate figure.
public protocol VendorAdapter: Sendable {
    var vendor: Vendor { get }

    /// Nil when the configured run id has the form this vendor accepts, else what is wrong with it.
    func validate(runID: String) -> String?

    /// The status request for one run.
    func statusRequest(runID: String) -> VendorRequest

    /// Decodes a status answer (any HTTP status) into an observation or a classified error.
    func decodeStatus(_ response: VendorResponse, runID: String, context: DecodeContext) -> Result<RunObservation, PollError>

    /// A second request that carries the times when the status call has none (WES `GET /runs/{id}`); nil elsewhere.
    func detailsRequest(runID: String) -> VendorRequest?

    /// Decodes the details answer into an observation with times.
    func decodeDetails(_ response: VendorResponse, runID: String, context: DecodeContext) -> Result<RunObservation, PollError>
}

extension VendorAdapter {
    public func detailsRequest(runID: String) -> VendorRequest? { nil }
    public func decodeDetails(_ response: VendorResponse, runID: String, context: DecodeContext) -> Result<RunObservation, PollError> {
        decodeStatus(response, runID: runID, context: context)
    }
}
