/// At most `requests` requests to a vendor in any window of `per` seconds (`rate_limit`, or a vendor's documented
/// limit, `Vendor.defaultRateLimit`).
public struct RateLimit: Sendable, Equatable {
    public var requests: Int
    public var per: Double

    public init(requests: Int, per: Double) {
        self.requests = requests
        self.per = per
    }

    /// The gap kept between request starts so that any window of `per` holds at most `requests`.
    public var minimumGap: Double { per / Double(requests) }
}
