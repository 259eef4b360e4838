/// The most events in any half-open window `[t, t + per)`: what a rate limit of so many per `per` seconds allows
/// at most, for tests that check one was kept.
public func busiestWindow(_ times: [Double], per: Double) -> Int {
    let sorted = times.sorted()
    var best = 0, lo = 0
    for hi in sorted.indices {
        while sorted[hi] - sorted[lo] >= per { lo += 1 }
        best = max(best, hi - lo + 1)
    }
    return best
}
