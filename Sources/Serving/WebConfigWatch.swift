/// Decides when the web config (and the files it names) changed, from what a driver saw of them: a pure value
/// taking `now`, so that a manual clock can test it.
///
/// Each `interval` the driver stats the files; only when a stamp differs does it read them and hash the bytes.
/// New bytes are tried once: a good change is applied, a broken one is reported once (until the bytes change
/// again) and the last good config stays. Bytes that come back to the config in force after a broken change
/// count as a good change, so that the "last reload successful" state comes back too.
public struct WebConfigWatch: Sendable {
    /// What stat(2) says of one file; a missing file has `exists == false` and zeros.
    public struct Stamp: Sendable, Equatable {
        public var path: String
        public var exists: Bool
        public var inode: UInt64
        public var size: Int64
        public var modifiedNanoseconds: Int64

        public init(path: String, exists: Bool, inode: UInt64 = 0, size: Int64 = 0, modifiedNanoseconds: Int64 = 0) {
            self.path = path
            self.exists = exists
            self.inode = inode
            self.size = size
            self.modifiedNanoseconds = modifiedNanoseconds
        }
    }

    /// What the driver should do with bytes it read.
    public enum Judgement: Sendable, Equatable {
        /// The config in force, or a broken one already reported: nothing to do.
        case known
        /// Never tried: parse and apply them, then `settle`.
        case new
    }

    /// What became of new bytes.
    public enum Outcome: Sendable, Equatable {
        case applied
        /// `report` is true the first time these bytes are seen broken: log and count once.
        case broken(report: Bool)
    }

    public let interval: Double
    private var nextCheck: Double
    private var stamps: [Stamp]
    private var goodDigest: [UInt8]
    /// The last broken bytes reported, nil once a good change (or the good bytes) came back.
    private var brokenDigest: [UInt8]?

    /// - Parameters: what the config in force was loaded from, at `now`.
    public init(interval: Double, now: Double, stamps: [Stamp], digest: [UInt8]) {
        self.interval = interval
        nextCheck = now + interval
        self.stamps = stamps
        goodDigest = digest
    }

    /// True when a check is due at `now`; the next one is then an interval later (a late check does not bunch up).
    public mutating func isDue(now: Double) -> Bool {
        guard now >= nextCheck else { return false }
        nextCheck = now + interval
        return true
    }

    /// True when `current` differs from the stamps seen last (a file written, replaced, created or removed, or a
    /// different set of files): the driver then reads the bytes.
    public mutating func stampsChanged(_ current: [Stamp]) -> Bool {
        guard current != stamps else { return false }
        stamps = current
        return true
    }

    public func judge(digest: [UInt8]) -> Judgement {
        if digest == goodDigest { return brokenDigest == nil ? .known : .new }
        return digest == brokenDigest ? .known : .new
    }

    public mutating func settle(digest: [UInt8], applied: Bool) -> Outcome {
        if applied {
            goodDigest = digest
            brokenDigest = nil
            return .applied
        }
        defer { brokenDigest = digest }
        return .broken(report: digest != brokenDigest)
    }

    /// Remembers the stamps taken just before the bytes were read, so that a write after the read shows as a change
    /// at the next check.
    public mutating func remember(_ current: [Stamp]) {
        stamps = current
    }

    /// One digest of several files' bytes (nil: unreadable); lengths first, so that no two lists run together into
    /// the same input.
    public static func digest(_ contents: [[UInt8]?]) -> [UInt8] {
        var input: [UInt8] = []
        for content in contents {
            let length = content.map { UInt64($0.count) } ?? .max
            input.append(contentsOf: withUnsafeBytes(of: length.bigEndian, Array.init))
            input.append(contentsOf: content ?? [])
        }
        return SHA256.hash(input)
    }
}
