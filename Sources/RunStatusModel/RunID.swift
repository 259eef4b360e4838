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
