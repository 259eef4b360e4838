import Configuration
import Exposition
import RunStatusModel

/// A fixed-bucket histogram. Counts are per bucket (not cumulative) so an observation touches one slot.
package struct Histogram: Sendable, Equatable {
    package let bounds: [Double]
    private(set) var counts: [UInt64]
    package private(set) var sum = 0.0
    package private(set) var count: UInt64 = 0

    init(bounds: [Double]) {
        self.bounds = bounds
        counts = Array(repeating: 0, count: bounds.count)
    }

    mutating func observe(_ value: Double) {
        guard value.isFinite else { return }
        if let i = bounds.firstIndex(where: { value <= $0 }) { counts[i] += 1 }
        sum += value
        count += 1
    }

    package var cumulativeCounts: [UInt64] {
        var running: UInt64 = 0
        return counts.map { running += $0; return running }
    }

    /// Request latency: 5 ms to 30 s.
    static let pollDurationBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
    /// Finished runs: 1 s to 1 day.
    static let runDurationBounds: [Double] = [1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400]
}
