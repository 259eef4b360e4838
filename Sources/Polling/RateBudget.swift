import Configuration
import Logging
import RunStatusModel
import RunStore
import Synchronization

/// One target's request budget, shared by the requests of its cycles: the thin async driver of `RateBudgetState`
/// (which decides), holding it under a lock and sleeping for the waits it asks for.
///
/// Two stages, so that waiting never holds one of the shared concurrency slots for long: `claim` waits for a turn
/// without a slot; `start`, called holding the slot right before the request goes out, enforces the gap between
/// the actual starts. Times are seconds on a monotonic clock; both stages give up rather than wait past the
/// caller's deadline.
final class RateBudget: Sendable {
    private let state: Mutex<RateBudgetState>
    let clock: @Sendable () -> Double
    let sleep: @Sendable (Double) async -> Void

    init(limit: RateLimit?, clock: @escaping @Sendable () -> Double = RateBudget.monotonicNow,
         sleep: @escaping @Sendable (Double) async -> Void = { try? await Task.sleep(for: .seconds($0)) }) {
        state = Mutex(RateBudgetState(limit: limit))
        self.clock = clock
        self.sleep = sleep
    }

    /// A new limit after a reload; what the vendor said stays in force.
    func setLimit(_ limit: RateLimit?) {
        state.withLock { $0.setLimit(limit) }
    }

    enum Grant: Equatable {
        /// Go ahead; `waited` when the budget held the request back.
        case granted(waited: Bool)
        /// Not before the deadline (or cancelled): leave the request for a later cycle.
        case refused
    }

    /// Waits for this request's turn (no concurrency slot held).
    func claim(deadline: Double) async -> Grant {
        await wait { s, now in s.claim(now: now, deadline: deadline) }
    }

    /// Waits, holding the slot, until the gap since the previous actual start has passed; the request goes out next.
    func start(deadline: Double) async -> Grant {
        await wait { s, now in s.start(now: now, deadline: deadline) }
    }

    private func wait(_ turn: (inout RateBudgetState, Double) -> RateBudgetState.Turn) async -> Grant {
        var waited = false
        while !Task.isCancelled {
            switch state.withLock({ s in turn(&s, clock()) }) {
            case .go: return .granted(waited: waited)
            case .refused: return .refused
            case .wait(let delay):
                waited = true
                await sleep(delay)
            }
        }
        return .refused
    }

    /// What an answer said about the vendor's window: seconds from now.
    func observe(remaining: Int?, resetIn: Double?, retryAfter: Double?) {
        state.withLock { $0.observe(remaining: remaining, resetIn: resetIn, retryAfter: retryAfter, now: clock()) }
    }

    /// Seconds on the monotonic clock.
    @Sendable static func monotonicNow() -> Double {
        let t = reference.duration(to: .now)
        return Double(t.components.seconds) + Double(t.components.attoseconds) / 1e18
    }

    private static let reference = ContinuousClock.now
}
