/// The five vendors whose run-status APIs the exporter understands.
/// The raw value is the `vendor` config key and the `vendor` label value.
public enum Vendor: String, CaseIterable, Sendable, Hashable, Comparable {
    case rsa, sequentum, instabase, wes, nexio

    public static func < (a: Vendor, b: Vendor) -> Bool { a.rawValue < b.rawValue }

    /// The adapter that builds requests for and decodes answers from this vendor.
    public var adapter: any VendorAdapter {
        switch self {
        case .rsa: RSAAdapter()
        case .sequentum: SequentumAdapter()
        case .instabase: InstabaseAdapter()
        case .wes: WESAdapter()
        case .nexio: NexioAdapter()
        }
    }

    /// The vendor's documented request limit: Sequentum's 100 requests a minute per key; the others document none.
    public var defaultRateLimit: RateLimit? {
        switch self {
        case .sequentum: RateLimit(requests: 100, per: 60)
        case .rsa, .instabase, .wes, .nexio: nil
        }
    }
}
