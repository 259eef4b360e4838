/// The time (wall clock, seconds since the epoch) before which a target's vendor asked not to be called: the
/// `Retry-After` of an error answer, at most an hour. A cycle's requests share one (`Shared<Backoff>`); the loop
/// holds its next cycles back until it passes (`PollLoopSchedule`).
///
/// The target's `RateBudgetState` records the same wait on the monotonic clock, uncapped and with
/// `X-RateLimit-Remaining` 0 besides, and keeps it across reloads; this one lives with the loop and ends with it.
/// One record would change what a reload or a wall-clock step does (and which log line a held cycle prints), so
/// both stay, each decided in its own value.
struct Backoff: Sendable, Equatable {
    /// The longest wait taken from a vendor: a bad header cannot stop a target for days.
    static let longest = 3600.0

    private(set) var until = 0.0

    /// The vendor said at `now` to wait `seconds`; a longer wait already in force stays.
    mutating func wait(_ seconds: Double, from now: Double) {
        until = max(until, now + min(seconds, Self.longest))
    }

    /// Whether a request at `now` must be left for later.
    func holds(at now: Double) -> Bool { until > now }
}
