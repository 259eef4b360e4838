import Logging
import RunStatusModel

/// `--shard=I --total-shards=N`: which runs this exporter keeps. A run belongs to the shard its stable hash of
/// `target/run_id` falls in (FNV-1a 64 modulo N), the same on every machine and every restart, so N exporters
/// behind one Prometheus job cover every run exactly once. Configured and discovered runs alike.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let total: Int

    /// The whole set: no sharding.
    public static let all = Shard(uncheckedIndex: 0, total: 1)

    /// Nil unless `0 <= index < total`.
    public init?(index: Int, total: Int) {
        guard total >= 1, index >= 0, index < total else { return nil }
        self.index = index
        self.total = total
    }

    private init(uncheckedIndex index: Int, total: Int) {
        self.index = index
        self.total = total
    }

    public var isAll: Bool { total == 1 }

    public func contains(target: String, runID: String) -> Bool {
        total == 1 || Int(Self.hash(target: target, runID: runID) % UInt64(total)) == index
    }

    /// FNV-1a 64 of the UTF-8 bytes of `target/run_id`.
    public static func hash(target: String, runID: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in target.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        h = (h ^ UInt64(UInt8(ascii: "/"))) &* 0x0000_0100_0000_01b3
        for byte in runID.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    /// A request budget shared by the shards (the vendor limits the API key, which they share): this shard's part.
    public func share(of limit: RateLimit?) -> RateLimit? {
        guard let limit, total > 1 else { return limit }
        return RateLimit(requests: max(1, limit.requests / total), per: limit.per)
    }

    public var description: String { "\(index) of \(total)" }
}
