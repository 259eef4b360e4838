/// Building messages: they name the run and the field, stay short, and never carry a credential
/// (error pages and proxies sometimes echo request headers back).
extension PollError {
    /// Longest message logged; vendor text inside it is bounded further by `vendorTextLimit`.
    public static let messageLimit = 320
    /// Longest stretch of vendor-written text (an error page, a detail string) kept in a message.
    public static let vendorTextLimit = 200

    /// A decode failure of one run's answer, e.g. `run 1001: field "start_timestamp" is not an integer`.
    static func decode(run runID: String, _ detail: String, status: Int?) -> PollError {
        PollError(.decode, cleaned("run \(RunID.label(runID)): \(detail)", limit: messageLimit), status: status)
    }

    /// Control characters and runs of whitespace become one space, credentials are hidden, and the
    /// text is cut to `limit` characters (ending in `…` when cut).
    static func cleaned(_ text: some StringProtocol, limit: Int) -> String {
        var words: [Substring] = []
        var scanned = 0
        // Only the head can survive the cut: do not split a megabyte page into words.
        for word in String(text.prefix(limit * 4)).split(whereSeparator: { $0.isWhitespace || $0.unicodeScalars.contains(where: isControl) }) {
            words.append(word)
            scanned += word.count + 1
            if scanned > limit + 1 { break }
        }
        var out = ""
        var previous: Substring = ""
        for word in words {
            if !out.isEmpty { out += " " }
            out += revealsSecret(word, after: previous) ? "[redacted]" : String(word)
            previous = word
        }
        guard out.count > limit else { return out }
        return String(out.prefix(max(limit - 1, 0))) + "…"
    }

    private static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (0x7F...0x9F).contains(s.value) || s.value == 0x2028 || s.value == 0x2029
    }

    /// Words that follow an auth scheme or a credential label, and API keys with a known prefix.
    private static func revealsSecret(_ word: Substring, after previous: Substring) -> Bool {
        let lower = word.lowercased()
        if lower.contains("nx_live_") || lower.contains("nx_test_") { return true }
        for label in ["token=", "password=", "apikey=", "api_key=", "api-key=", "secret="] where lower.contains(label) {
            return true
        }
        let before = previous.lowercased()
        if ["bearer", "apikey", "basic"].contains(before) { return true }
        guard before.hasSuffix(":") else { return false }
        return ["token:", "x-sbg-auth-token:", "authorization:", "api-key:", "apikey:", "password:", "secret:", "ib-context:"]
            .contains(before)
    }
}

/// Run ids as they appear in messages, and the checks path-segment ids share.
enum RunID {
    /// The id as written in messages: cleaned and bounded (a configured id can be anything).
    static func label(_ id: String) -> String {
        PollError.cleaned(id, limit: 64)
    }

    /// A value quoted for a message, bounded.
    static func quoted(_ value: some StringProtocol, limit: Int = 48) -> String {
        "\"" + PollError.cleaned(value, limit: limit) + "\""
    }

    /// What is wrong with an id that becomes one path segment, or nil. `.` and `..` would be
    /// resolved away by URL handling, control characters have no place in a URL.
    static func segmentProblem(_ id: String, vendorName: String) -> String? {
        if id.isEmpty { return "\(vendorName) run id is empty" }
        if id == "." || id == ".." { return "\(vendorName) run id \(quoted(id)) is not a valid path segment" }
        if id.utf8.count > 512 { return "\(vendorName) run id is longer than 512 bytes" }
        if id.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "\(vendorName) run id \(quoted(id)) contains control characters"
        }
        return nil
    }

    /// True for a non-empty string of ASCII digits that fits in `max`.
    static func isDecimal(_ s: some StringProtocol, max: Int64) -> Bool {
        guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int64(s) else { return false }
        return n <= max
    }
}
