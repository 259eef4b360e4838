/// Label pairs already encoded as `name="escaped value"` joined by commas, so that the labels a run or target
/// carries on every one of its series are escaped once, not on every scrape.
public struct LabelSet: Sendable, Equatable {
    /// The encoded pairs, without braces; empty when there are none.
    public private(set) var encoded: [UInt8] = []

    public init() {}

    public init(_ pairs: [(String, String)]) {
        for (name, value) in pairs { append(name, value) }
    }

    public var isEmpty: Bool { encoded.isEmpty }

    /// Appends one pair. The name must be a valid label name (callers validate user-supplied names at config time).
    public mutating func append(_ name: String, _ value: String) {
        if !encoded.isEmpty { encoded.append(UInt8(ascii: ",")) }
        encoded.append(contentsOf: name.utf8)
        encoded.append(UInt8(ascii: "="))
        encoded.append(UInt8(ascii: "\""))
        LabelSet.appendEscaped(value, to: &encoded)
        encoded.append(UInt8(ascii: "\""))
    }

    public func appending(_ name: String, _ value: String) -> LabelSet {
        var copy = self
        copy.append(name, value)
        return copy
    }

    /// Label value escaping, the same in both formats: backslash, double quote and line feed.
    static func appendEscaped(_ value: String, to out: inout [UInt8]) {
        // Nearly every value (states, reasons, bucket bounds) needs no escape: copy it in one piece instead of
        // byte by byte (a render of 10,000 runs makes ~100,000 of these calls; per byte they cost 11% of it).
        let copied = value.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            for b in bytes where b == UInt8(ascii: "\\") || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\n") {
                return false
            }
            out.append(contentsOf: bytes)
            return true
        }
        if copied == true { return }
        for b in value.utf8 {
            switch b {
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\n"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            default: out.append(b)
            }
        }
    }
}

/// Name rules shared by the config validator and the writer.
public enum MetricNaming {
    /// `[a-zA-Z_][a-zA-Z0-9_]*`.
    public static func isValidLabelName(_ name: String) -> Bool {
        guard let first = name.utf8.first, isLetterOrUnderscore(first) else { return false }
        return name.utf8.allSatisfy { isLetterOrUnderscore($0) || isDigit($0) }
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    public static func isValidMetricName(_ name: String) -> Bool {
        guard let first = name.utf8.first, isLetterOrUnderscore(first) || first == UInt8(ascii: ":") else { return false }
        return name.utf8.allSatisfy { isLetterOrUnderscore($0) || isDigit($0) || $0 == UInt8(ascii: ":") }
    }

    static func isLetterOrUnderscore(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_")
    }

    // Every digit 0–9 (a fast path that accepts only some digits is a bug seen in other Swift encoders).
    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
}
