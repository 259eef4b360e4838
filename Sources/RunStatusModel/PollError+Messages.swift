/// Building messages: they name the run and the field, stay short, and never carry a credential
/// (error pages and proxies sometimes echo request headers back).
extension PollError {
    /// Longest message logged; vendor text inside it is bounded further by `vendorTextLimit`.
    public static let messageLimit = 320
    /// Longest stretch of vendor-written text (an error page, a detail string) kept in a message.
    public static let vendorTextLimit = 200

    /// A decode failure of one run's answer, e.g. `run 1001: field "start_timestamp" is not an integer`.
    /// Vendor text in `detail` must already be cleaned (`RunID.quoted`, `cleaned`).
    static func decode(run runID: String, _ detail: String, status: Int?) -> PollError {
        PollError(.decode, bounded("run \(RunID.label(runID)): \(detail)", limit: messageLimit), status: status)
    }

    /// Cut to `limit` characters, ending in `…` when cut, for text already cleaned.
    static func bounded(_ text: String, limit: Int) -> String {
        guard text.utf8.count > limit, text.count > limit else { return text }
        return String(text.prefix(max(limit - 1, 0))) + "…"
    }

    /// Control characters and runs of whitespace become one space, credentials are hidden, and the
    /// text is cut to `limit` characters (ending in `…` when cut).
    static func cleaned(_ text: some StringProtocol, limit: Int) -> String {
        var string = String(text)
        // Bytes, not Characters: this runs on every failed poll, and only the head of the text can
        // survive the cut, so reading stops once `limit` scalars are kept.
        let out = string.withUTF8 { cleanedBytes($0, scalarBudget: limit + 1) }
        return bounded(String(decoding: out, as: UTF8.self), limit: limit)
    }

    private static func cleanedBytes(_ b: UnsafeBufferPointer<UInt8>, scalarBudget: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(min(b.count, 4 * scalarBudget) + 16)
        var word = 0..<0
        var previous = 0..<0
        var redactedPrevious: ArraySlice<UInt8>?  // the original of a word replaced by [redacted]
        var scalars = 0
        var i = 0
        func endWord() {
            guard !word.isEmpty else { return }
            word = word.lowerBound..<out.count
            if revealsSecret(out[word], after: redactedPrevious ?? out[previous]) {
                redactedPrevious = ArraySlice(Array(out[word]))
                out.replaceSubrange(word, with: Array("[redacted]".utf8))
                word = word.lowerBound..<out.count
            } else {
                redactedPrevious = nil
            }
            previous = word
            word = out.count..<out.count
        }
        while i < b.count, scalars <= scalarBudget {
            let n = separatorLength(b, i)
            if n > 0 {
                endWord()
                i += n
                continue
            }
            if word.isEmpty {
                if !out.isEmpty {
                    out.append(0x20)
                    scalars += 1
                }
                word = out.count..<(out.count + 1)
            }
            let c = b[i]
            out.append(c)
            if c & 0xC0 != 0x80 { scalars += 1 }
            i += 1
        }
        endWord()
        return out
    }

    /// The length of the blank or control character at `i`, or 0: ASCII blanks and controls, C1
    /// controls, no-break and typographic spaces, line and paragraph separators.
    private static func separatorLength(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        let c = b[i]
        if c <= 0x20 || c == 0x7F { return 1 }
        guard c >= 0xC2, i + 1 < b.count else { return 0 }
        let c1 = b[i + 1]
        if c == 0xC2 { return c1 <= 0xA0 ? 2 : 0 }
        guard i + 2 < b.count else { return 0 }
        let c2 = b[i + 2]
        switch (c, c1) {
        case (0xE2, 0x80): return c2 <= 0x8A || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF ? 3 : 0
        case (0xE2, 0x81): return c2 == 0x9F ? 3 : 0
        case (0xE3, 0x80): return c2 == 0x80 ? 3 : 0
        case (0xE1, 0x9A): return c2 == 0x80 ? 3 : 0
        default: return 0
        }
    }

    /// Words that follow an auth scheme or a credential label, and API keys with a known prefix.
    private static func revealsSecret(_ word: ArraySlice<UInt8>, after previous: ArraySlice<UInt8>) -> Bool {
        // One pass over the word, looking closer only at `_` (nx_live_...) and `=` (password=...).
        var i = word.startIndex
        while i < word.endIndex {
            let c = word[i]
            if c == UInt8(ascii: "_"), i - 2 >= word.startIndex,
               matches(word, at: i - 2, "nx_live_") || matches(word, at: i - 2, "nx_test_") {
                return true
            }
            if c == UInt8(ascii: "=") {
                let head = word[word.startIndex..<i]
                for label: StaticString in ["token", "password", "apikey", "api_key", "api-key", "secret"] where ends(head, with: label) {
                    return true
                }
            }
            i += 1
        }
        switch previous.count {
        case 5, 6: return equal(previous, "bearer") || equal(previous, "apikey") || equal(previous, "basic")
        default:
            guard previous.last == UInt8(ascii: ":") else { return false }
            let labels: [StaticString] = ["token:", "x-sbg-auth-token:", "authorization:", "api-key:", "apikey:", "password:", "secret:", "ib-context:"]
            return labels.contains { equal(previous, $0) }
        }
    }

    /// ASCII case-insensitive equality with a lower-case literal.
    private static func equal(_ bytes: ArraySlice<UInt8>, _ lower: StaticString) -> Bool {
        bytes.count == lower.utf8CodeUnitCount && matches(bytes, at: bytes.startIndex, lower)
    }

    private static func ends(_ bytes: ArraySlice<UInt8>, with lower: StaticString) -> Bool {
        let n = lower.utf8CodeUnitCount
        return bytes.count >= n && matches(bytes, at: bytes.endIndex - n, lower)
    }

    private static func matches(_ bytes: ArraySlice<UInt8>, at start: Int, _ lower: StaticString) -> Bool {
        guard start + lower.utf8CodeUnitCount <= bytes.endIndex else { return false }
        let p = lower.utf8Start
        for k in 0..<lower.utf8CodeUnitCount where HTMLText.lower(bytes[start + k]) != p[k] { return false }
        return true
    }
}
