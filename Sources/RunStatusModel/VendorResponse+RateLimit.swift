/// The rate-limit headers some vendors send on every answer, so a client can slow down before a 429.
extension VendorResponse {
    /// `X-RateLimit-Remaining`: requests left in the vendor's current window; nil when absent or not a whole number.
    public var rateLimitRemaining: Int? {
        guard let raw = headers["x-ratelimit-remaining"] else { return nil }
        let text = raw.trimmingSpaces
        guard !text.isEmpty, text.utf8.count <= 12, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }
}
