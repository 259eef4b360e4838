import RunStatusModel

/// The decisions of one target's `RateBudget` as a value on an injected clock: given the state and `now`, a request
/// goes at once, waits so long, or is left for a later cycle (its turn lies past the deadline). No lock and no sleep:
/// `RateBudget` does both. Times are seconds on a monotonic clock.
///
/// Requests start at least `per / requests` seconds apart, so any half-open window of `per` seconds holds at most
/// `requests` starts. What the vendor says on its answers tightens it: `X-RateLimit-Remaining` 0 holds every
/// request until `X-RateLimit-Reset`, a smaller remainder spreads what is left until then, and a `Retry-After`
/// holds requests that long.
struct RateBudgetState: Sendable, Equatable {
    /// The configured spacing (`rate_limit`, this shard's share of it); 0 for none.
    var gap: Double
    var lastClaim = -Double.infinity
    var lastStart = -Double.infinity
    /// Nothing starts before this (the vendor said so).
    var blockedUntil = -Double.infinity
    /// The spacing the vendor's remainder asks for, until its window resets.
    var vendorGap = 0.0
    var vendorGapUntil = -Double.infinity

    init(limit: RateLimit?) {
        gap = limit?.minimumGap ?? 0
    }

    /// A new limit after a reload; what the vendor said stays in force.
    mutating func setLimit(_ limit: RateLimit?) {
        gap = limit?.minimumGap ?? 0
    }

    enum Turn: Equatable {
        /// Go now; the turn is taken.
        case go
        /// Not yet: ask again after this many seconds.
        case wait(Double)
        /// Not before the deadline: leave the request for a later cycle. No turn is taken.
        case refused
    }

    /// The first stage, without a concurrency slot: this request's turn among the target's requests.
    mutating func claim(now: Double, deadline: Double) -> Turn {
        let turn = Self.turn(at: max(lastClaim + effectiveGap(at: now), blockedUntil), now: now, deadline: deadline)
        if turn == .go { lastClaim = now }
        return turn
    }

    /// The second stage, holding the slot right before the request goes out: the gap since the previous actual
    /// start (a request that waited for a slot must not bunch up with the next one).
    mutating func start(now: Double, deadline: Double) -> Turn {
        let turn = Self.turn(at: max(lastStart + effectiveGap(at: now), blockedUntil), now: now, deadline: deadline)
        if turn == .go {
            lastStart = now
            lastClaim = max(lastClaim, now)
        }
        return turn
    }

    /// What an answer said about the vendor's window, in seconds from `now`.
    mutating func observe(remaining: Int?, resetIn: Double?, retryAfter: Double?, now: Double) {
        if let retryAfter { blockedUntil = max(blockedUntil, now + retryAfter) }
        guard let remaining, let resetIn, resetIn > 0 else { return }
        if remaining == 0 {
            blockedUntil = max(blockedUntil, now + resetIn)
        } else {
            vendorGap = resetIn / Double(remaining)
            vendorGapUntil = now + resetIn
        }
    }

    func effectiveGap(at now: Double) -> Double {
        now < vendorGapUntil ? max(gap, vendorGap) : gap
    }

    private static func turn(at: Double, now: Double, deadline: Double) -> Turn {
        if now >= at { return .go }
        // Only waiting is bounded: a request the budget allows at once goes even in a late cycle.
        if at > deadline { return .refused }
        return .wait(at - now)
    }
}
