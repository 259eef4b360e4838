import Testing

/// What the exposition cross-checks share: the awkward label value, and how our strict reading and
/// prometheus_client's are compared.
public enum ExpositionCrossCheck {
    /// Label values that need every escape, and text outside ASCII.
    public static let awkward = "a \"quoted\" back\\slash\nnew line, ünïcödé ✓"

    /// prometheus_client names counter families without `_total` in both formats, and info families without
    /// `_info` in OpenMetrics (where our metadata already says so); text 0.0.4 has no info type.
    public static func normalized(_ families: [ParsedFamily], openMetrics: Bool) -> [ParsedFamily] {
        families.map { family in
            var f = family
            if !openMetrics && f.type == "counter" && f.name.hasSuffix("_total") { f.name.removeLast(6) }
            return f
        }
    }

    public static func compare(ours: [ParsedSample], theirs: [ParsedSample], format: String,
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(ours.count == theirs.count, "\(format): \(ours.count) samples read by us, \(theirs.count) by prometheus_client",
                sourceLocation: sourceLocation)
        #expect(Set(ours).count == ours.count, "\(format): a series appears twice", sourceLocation: sourceLocation)
        for (index, (a, b)) in zip(ours, theirs).enumerated() {
            #expect(a == b, "\(format) sample \(index): ours \(a), prometheus_client \(b)", sourceLocation: sourceLocation)
        }
    }
}
