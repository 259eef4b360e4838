import Configuration

/// When one target's polling loop makes a cycle, lists its runs, holds back for the vendor's wait and sleeps: a value
/// on the injected wall clock (`now`), so a test decides the time. The `Poller` loop makes the cycle and sleeps.
struct PollLoopSchedule: Sendable, Equatable {
    let pollInterval: Double
    /// How often the target lists its runs (`discover.interval`, else the poll interval); nil without `discover`.
    let listingInterval: Double?
    /// Before this the vendor asked not to be called again (`Retry-After`).
    private(set) var notBefore = 0.0
    private(set) var lastListing: Double?
    private(set) var cycleStart: Double?

    init(pollInterval: Double, listingInterval: Double?) {
        self.pollInterval = pollInterval
        self.listingInterval = listingInterval
    }

    init(_ target: TargetConfig) {
        self.init(pollInterval: target.pollInterval, listingInterval: target.discover.map { $0.interval ?? target.pollInterval })
    }

    enum Step: Equatable {
        /// Make the cycle; the listing first when `listing`.
        case cycle(listing: Bool)
        /// The vendor's wait has `seconds` left: make no request, count every one this cycle would have made (the
        /// due polls, and the listing when `listing`) as held back.
        case hold(listing: Bool, seconds: Double)
    }

    /// A cycle begins at `now`.
    mutating func begin(now: Double) -> Step {
        cycleStart = now
        // A little slack, as for polls, so a listing that ends a moment late is not put off a whole cycle.
        let listing = listingInterval.map { interval in
            lastListing.map { now - $0 >= interval - min(1.0, interval * 0.1) } ?? true
        } ?? false
        return now >= notBefore ? .cycle(listing: listing) : .hold(listing: listing, seconds: notBefore - now)
    }

    /// The cycle `begin` called for was made: the vendor's wait it ended with (0 for none) and whether it listed.
    mutating func cycled(notBefore: Double, listed: Bool) {
        self.notBefore = notBefore
        if listed { lastListing = cycleStart }
    }

    /// Seconds to sleep at `now`, after the cycle: the next begins one poll interval after this one began (and
    /// never sooner than 50 ms from now, so a cycle longer than its interval does not spin).
    func sleep(now: Double) -> Double {
        max(0.05, (cycleStart ?? now) + pollInterval - now)
    }
}
