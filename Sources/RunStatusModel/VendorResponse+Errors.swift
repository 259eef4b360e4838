/// Classifying answers the way every vendor needs: HTTP status to reason, wait hints, the
/// vendor's error text, and what a 2xx body that is not the vendor's JSON actually was.
extension VendorResponse {
    /// The longest wait a vendor hint is taken at: a broken or hostile header must not park a
    /// target for years (or overflow a `Duration`).
    public static let longestWait: Double = 86_400

    public var isSuccess: Bool { (200...299).contains(status) }

    /// The redirect statuses a fetcher follows within the same origin; one that reaches an adapter was
    /// not followed (another origin, or too many).
    public static let redirectStatuses: Set<Int> = [301, 302, 303, 307, 308]

    /// The `reason` of a non-2xx answer. A redirect not followed: `redirect`. Other statuses outside
    /// 4xx and 5xx (a bare 1xx, a 304 nobody asked for) are answers we cannot read: `decode`.
    public static func reason(forStatus status: Int) -> PollErrorReason {
        if redirectStatuses.contains(status) { return .redirect }
        return switch status {
        case 401: .unauthorized
        case 403: .forbidden
        case 404: .notFound
        case 429: .rateLimited
        case 400...499: .badRequest
        case 500...599: .serverError
        default: .decode
        }
    }

    /// What the message says first for a status that is not an error of the vendor's own: nil for 4xx and 5xx.
    static func statusNote(_ reason: PollErrorReason, status: Int) -> String? {
        switch reason {
        case .decode: "unexpected HTTP status \(status)"
        // Where it points stays out: the Location header may carry userinfo or a token.
        case .redirect: "HTTP \(status) redirect not followed (another origin, or more than 5): set the target's url to where the API answers"
        default: nil
        }
    }

    /// Seconds to wait from `Retry-After`: delay seconds, or an HTTP date measured from `now`.
    public func retryAfter(now: Double) -> Double? {
        guard let raw = headers["retry-after"] else { return nil }
        let text = raw.trimmingSpaces
        if let seconds = Timestamp.parseDecimal(text) { return Self.wait(seconds) }
        if let date = Timestamp.parseHTTPDate(text) { return Self.wait(date - now) }
        return nil
    }

    /// Seconds to wait from `X-RateLimit-Reset` (Nexio): epoch seconds (or milliseconds) of the
    /// reset, or, when small, the seconds left until it.
    public func rateLimitReset(now: Double) -> Double? {
        guard let raw = headers["x-ratelimit-reset"], let value = Timestamp.parseDecimal(raw.trimmingSpaces) else {
            return nil
        }
        if value >= 1e12 { return Self.wait(value / 1000 - now) }
        if value >= 1e9 { return Self.wait(value - now) }
        return Self.wait(value)
    }

    static func wait(_ seconds: Double) -> Double {
        min(max(seconds, 0), longestWait)
    }

    /// The error for a non-2xx answer: reason by status, the vendor's own text (HTML `<body>`,
    /// problem JSON, `message`, `msg`, `error.message`...) after `note`, and `Retry-After`.
    func failure(runID: String, now: Double, note: String? = nil, retryAfter: Double? = nil) -> PollError {
        let reason = Self.reason(forStatus: status)
        var parts: [String] = []
        if let what = Self.statusNote(reason, status: status) { parts.append(what) }
        if let note { parts.append(note) }
        let text = errorText.map { PollError.cleaned($0, limit: PollError.vendorTextLimit) } ?? ""
        parts.append(text.isEmpty ? "no error text in the answer" : text)
        let message = PollError.bounded("run \(RunID.label(runID)): " + parts.joined(separator: ": "), limit: PollError.messageLimit)
        return PollError(reason, message, status: status, retryAfter: retryAfter ?? self.retryAfter(now: now))
    }

    /// The body of a 2xx answer as a JSON object, or a decode error saying what came instead:
    /// nothing, a proxy's HTML page, truncated or broken JSON, or another kind of JSON value.
    func jsonObject(runID: String) throws(PollError) -> JSONValue {
        switch bodyKind {
        case .empty:
            throw PollError.decode(run: runID, "empty answer", status: status)
        case .html:
            throw PollError.decode(run: runID, "answer is an HTML page, not JSON: " + htmlSummary, status: status)
        case .json, .text:
            break
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(body)
        } catch {
            let what = error.offset >= body.count ? "answer is truncated JSON" : "answer is not valid JSON"
            throw PollError.decode(run: runID, "\(what) (\(error.description))", status: status)
        }
        guard case .object = value else {
            throw PollError.decode(run: runID, "answer is \(value.kindName), expected a JSON object", status: status)
        }
        return value
    }

    enum BodyKind { case empty, html, json, text }

    /// What the body looks like from its first non-blank byte.
    var bodyKind: BodyKind {
        var i = 0
        if body.count >= 3, body[0] == 0xEF, body[1] == 0xBB, body[2] == 0xBF { i = 3 }
        while i < body.count, Timestamp.isSpace(body[i]) { i += 1 }
        guard i < body.count else { return .empty }
        switch body[i] {
        case UInt8(ascii: "<"): return .html
        case UInt8(ascii: "{"), UInt8(ascii: "["): return .json
        default: return .text
        }
    }

    var htmlSummary: String {
        let text = HTMLText.extract(body)
        return text.isEmpty ? "(no text)" : PollError.cleaned(text, limit: PollError.vendorTextLimit)
    }

    /// The vendor's error text, whatever the shape of the body; nil when there is none.
    var errorText: String? {
        switch bodyKind {
        case .empty: return nil
        case .html:
            let text = HTMLText.extract(body)
            return text.isEmpty ? nil : text
        case .json:
            if let value = try? JSONValue.parse(body), let text = Self.errorText(of: value) { return text }
            return plainText
        case .text:
            return plainText
        }
    }

    /// The head of a body that is neither HTML nor a known JSON shape, as it came (cleaned by the caller).
    private var plainText: String? {
        String(decoding: body.prefix(4 * PollError.vendorTextLimit), as: UTF8.self)
    }

    /// Error text of a JSON error body in any of the vendors' shapes: RFC 7807 `title`/`detail`
    /// (Sequentum), `message` (Instabase), `msg` (WES), `{"error": {"code", "message"}}` or a flat
    /// `code`/`message` (Nexio), and the `error`/`error_description` that gateways send.
    static func errorText(of value: JSONValue) -> String? {
        guard case .object = value else { return nil }
        let source = value["error"].flatMap { $0.objectValue == nil ? nil : $0 } ?? value
        var parts: [String] = []
        func add(_ v: JSONValue?) {
            guard let s = v?.stringValue?.trimmingSpaces, !s.isEmpty, !parts.contains(String(s)) else { return }
            parts.append(String(s))
        }
        add(source["code"])
        add(source["title"])
        add(source["detail"] ?? source["message"] ?? source["msg"] ?? source["error_description"])
        if parts.isEmpty { add(value["error"]) }
        return parts.isEmpty ? nil : parts.joined(separator: ": ")
    }
}
