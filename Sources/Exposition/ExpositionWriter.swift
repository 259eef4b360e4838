/// Writes an exposition straight into a byte buffer, family by family, in the order the caller gives.
///
/// The caller owns the order (the runtime writes families in a fixed order, never a dictionary's) and must write
/// every sample of a family right after its `family(...)` call, so families stay contiguous as the format requires.
/// No timestamps are written: values come from background polling and Prometheus stamps them at scrape time.
public struct ExpositionWriter: Sendable {
    public let format: ExpositionFormat
    public private(set) var bytes: [UInt8]
    /// Number of samples written so far (for benchmarks and self-metrics).
    public private(set) var sampleCount = 0

    public init(format: ExpositionFormat, reservingCapacity capacity: Int = 4096) {
        self.format = format
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Writes the `# HELP` and `# TYPE` lines of a family. `name` is the full sample name for gauges and info metrics,
    /// and the name with `_total` for counters (OpenMetrics metadata drops that suffix, text 0.0.4 keeps it).
    public mutating func family(_ name: String, type: MetricType, help: String) {
        var metaName = Substring(name)
        let typeWord: StaticString
        switch (format, type) {
        case (_, .gauge): typeWord = "gauge"
        case (_, .histogram): typeWord = "histogram"
        case (.text, .counter): typeWord = "counter"
        case (.text, .info): typeWord = "gauge"
        case (.openMetrics, .counter):
            typeWord = "counter"
            if metaName.hasSuffix("_total") { metaName = metaName.dropLast(6) }
        case (.openMetrics, .info):
            typeWord = "info"
            if metaName.hasSuffix("_info") { metaName = metaName.dropLast(5) }
        }
        append("# HELP ")
        bytes.append(contentsOf: metaName.utf8)
        bytes.append(UInt8(ascii: " "))
        appendHelp(help)
        bytes.append(UInt8(ascii: "\n"))
        append("# TYPE ")
        bytes.append(contentsOf: metaName.utf8)
        bytes.append(UInt8(ascii: " "))
        append(typeWord)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// One sample: `name{labels} value`.
    public mutating func sample(_ name: String, _ labels: LabelSet = LabelSet(), value: Double) {
        bytes.append(contentsOf: name.utf8)
        if !labels.isEmpty {
            bytes.append(UInt8(ascii: "{"))
            bytes.append(contentsOf: labels.encoded)
            bytes.append(UInt8(ascii: "}"))
        }
        finishSample(value)
    }

    /// One sample with one more label after the shared ones (`state`, `reason`, `le`, …), without building a LabelSet.
    public mutating func sample(_ name: String, _ labels: LabelSet, _ extraName: String, _ extraValue: String, value: Double) {
        bytes.append(contentsOf: name.utf8)
        bytes.append(UInt8(ascii: "{"))
        if !labels.isEmpty {
            bytes.append(contentsOf: labels.encoded)
            bytes.append(UInt8(ascii: ","))
        }
        bytes.append(contentsOf: extraName.utf8)
        bytes.append(UInt8(ascii: "="))
        bytes.append(UInt8(ascii: "\""))
        LabelSet.appendEscaped(extraValue, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: "}"))
        finishSample(value)
    }

    /// The `_bucket`, `_sum` and `_count` samples of one histogram. `buckets` are the upper bounds (without +Inf)
    /// and `counts` the cumulative counts per bound; the `+Inf` bucket equals `count`.
    public mutating func histogram(_ name: String, _ labels: LabelSet, buckets: [Double], cumulativeCounts: [UInt64],
                                   sum: Double, count: UInt64) {
        let bucketName = name + "_bucket"
        for (bound, c) in zip(buckets, cumulativeCounts) {
            bucket(bucketName, labels, bound: bound, value: Double(c))
        }
        sample(bucketName, labels, "le", "+Inf", value: Double(count))
        sample(name + "_sum", labels, value: sum)
        sample(name + "_count", labels, value: Double(count))
    }

    /// One `_bucket` sample: the bound is spelled straight into the buffer (no String per bucket per scrape);
    /// its canonical spelling never needs escaping.
    private mutating func bucket(_ name: String, _ labels: LabelSet, bound: Double, value: Double) {
        bytes.append(contentsOf: name.utf8)
        bytes.append(UInt8(ascii: "{"))
        if !labels.isEmpty {
            bytes.append(contentsOf: labels.encoded)
            bytes.append(UInt8(ascii: ","))
        }
        append("le=\"")
        ExpositionWriter.appendValue(bound, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: "}"))
        finishSample(value)
    }

    /// Ends the exposition (`# EOF` in OpenMetrics; nothing in text 0.0.4). Returns the bytes.
    public mutating func finish() -> [UInt8] {
        if format == .openMetrics { append("# EOF\n") }
        return bytes
    }

    private mutating func finishSample(_ value: Double) {
        bytes.append(UInt8(ascii: " "))
        ExpositionWriter.appendValue(value, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        sampleCount += 1
    }

    private mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// HELP escaping: backslash and line feed in text 0.0.4; OpenMetrics escapes double quotes too.
    private mutating func appendHelp(_ help: String) {
        for b in help.utf8 {
            switch b {
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\"") where format == .openMetrics:
                bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "\""))
            default: bytes.append(b)
            }
        }
    }

    /// Canonical value spelling: `+Inf`, `-Inf`, `NaN`; integral values without a fraction; otherwise the shortest
    /// text that reads back to the same Double.
    public static func formatValue(_ v: Double) -> String {
        var out: [UInt8] = []
        appendValue(v, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendValue(_ v: Double, to out: inout [UInt8]) {
        if v.isNaN { out.append(contentsOf: "NaN".utf8); return }
        if v.isInfinite { out.append(contentsOf: (v > 0 ? "+Inf" : "-Inf").utf8); return }
        // Integral values print exactly as digits; this is the common case (counts, states, seconds).
        if v.magnitude < 9_223_372_036_854_774_784 {
            let i = Int64(v)
            if Double(i) == v {
                appendInteger(i, to: &out)
                return
            }
        }
        out.append(contentsOf: v.description.utf8)
    }

    static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value == 0 { out.append(UInt8(ascii: "0")); return }
        var n = value.magnitude
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            // Right to left into the buffer's end, then one append (not one per digit).
            var start = buf.count
            while n > 0 {
                start -= 1
                buf[start] = UInt8(truncatingIfNeeded: n % 10) + 0x30
                n /= 10
                count += 1
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[start...]))
        }
    }
}
