import Configuration
import Logging
import RunStatusModel
import RunStore
import Synchronization

/// One target's request budget. Requests start at least `per / requests` seconds apart, so any half-open window of
/// `per` seconds holds at most `requests` starts. What the vendor says on its answers tightens it: `X-RateLimit-Remaining`
/// 0 holds every request until `X-RateLimit-Reset`, a smaller remainder spreads what is left until then, and a
/// `Retry-After` holds requests that long.
///
/// Two stages, so that waiting never holds one of the shared concurrency slots for long: `claim` waits for a turn
/// without a slot; `start`, called holding the slot right before the request goes out, enforces the gap between
/// the actual starts (a request that waited for a slot must not bunch up with the next one).
/// Times are seconds on a monotonic clock; both stages give up rather than wait past the caller's deadline.
final class RateBudget: Sendable {
    private struct State {
        var gap: Double
        var lastClaim = -Double.infinity
        var lastStart = -Double.infinity
        /// Nothing starts before this (the vendor said so).
        var blockedUntil = -Double.infinity
        /// The spacing the vendor's remainder asks for, until its window resets.
        var vendorGap = 0.0
        var vendorGapUntil = -Double.infinity

        func effectiveGap(at now: Double) -> Double {
            now < vendorGapUntil ? max(gap, vendorGap) : gap
        }
    }

    private let state: Mutex<State>
    let clock: @Sendable () -> Double
    let sleep: @Sendable (Double) async -> Void

    init(limit: RateLimit?, clock: @escaping @Sendable () -> Double = RateBudget.monotonicNow,
         sleep: @escaping @Sendable (Double) async -> Void = { try? await Task.sleep(for: .seconds($0)) }) {
        state = Mutex(State(gap: limit?.minimumGap ?? 0))
        self.clock = clock
        self.sleep = sleep
    }

    /// A new limit after a reload; what the vendor said stays in force.
    func setLimit(_ limit: RateLimit?) {
        state.withLock { $0.gap = limit?.minimumGap ?? 0 }
    }

    enum Grant: Equatable {
        /// Go ahead; `waited` when the budget held the request back.
        case granted(waited: Bool)
        /// Not before the deadline (or cancelled): leave the request for a later cycle.
        case refused
    }

    /// Waits for this request's turn (no concurrency slot held).
    func claim(deadline: Double) async -> Grant {
        await wait(deadline: deadline) { s, now in max(s.lastClaim + s.effectiveGap(at: now), s.blockedUntil) } take: { s, now in
            s.lastClaim = now
        }
    }

    /// Waits, holding the slot, until the gap since the previous actual start has passed; the request goes out next.
    func start(deadline: Double) async -> Grant {
        await wait(deadline: deadline) { s, now in max(s.lastStart + s.effectiveGap(at: now), s.blockedUntil) } take: { s, now in
            s.lastStart = now
            s.lastClaim = max(s.lastClaim, now)
        }
    }

    private func wait(deadline: Double, earliest: (State, Double) -> Double, take: (inout State, Double) -> Void) async -> Grant {
        var waited = false
        while !Task.isCancelled {
            let delay = state.withLock { s -> Double? in
                let now = clock()
                let at = earliest(s, now)
                if now >= at {
                    take(&s, now)
                    return 0
                }
                // Only waiting is bounded: a request the budget allows at once goes even in a late cycle.
                if at > deadline { return nil }
                return at - now
            }
            guard let delay else { return .refused }
            if delay == 0 { return .granted(waited: waited) }
            waited = true
            await sleep(delay)
        }
        return .refused
    }

    /// What an answer said about the vendor's window: seconds from now.
    func observe(remaining: Int?, resetIn: Double?, retryAfter: Double?) {
        state.withLock { s in
            let now = clock()
            if let retryAfter { s.blockedUntil = max(s.blockedUntil, now + retryAfter) }
            guard let remaining, let resetIn, resetIn > 0 else { return }
            if remaining == 0 {
                s.blockedUntil = max(s.blockedUntil, now + resetIn)
            } else {
                s.vendorGap = resetIn / Double(remaining)
                s.vendorGapUntil = now + resetIn
            }
        }
    }

    /// Seconds on the monotonic clock.
    @Sendable static func monotonicNow() -> Double {
        let t = reference.duration(to: .now)
        return Double(t.components.seconds) + Double(t.components.attoseconds) / 1e18
    }

    private static let reference = ContinuousClock.now
}
