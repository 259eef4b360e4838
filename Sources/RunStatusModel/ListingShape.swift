/// How a vendor's list call orders and pages its runs, and which `discover` keys configure it: what the runtime's
/// discovery loop and config loader ask of a vendor instead of switching on it.
public struct ListingShape: Sendable, Equatable {
    /// The order in which the list hands out runs.
    public enum Order: Sendable, Equatable {
        /// Newest first (WES): the first `max_runs` entries are the window, in the vendor's order.
        case newestFirst
        /// Oldest first (Instabase): read on, up to ten windows' worth, and keep the newest by start.
        case oldestFirst
        /// One newest-first list per agent (Sequentum), one page each, merged by start.
        case perAgent
    }

    public var order: Order
    /// The `discover` keys of this vendor's own filters (beyond `max_runs`, `max_age`, `interval`).
    public var discoverKeys: Set<String>
    /// Own keys that must be present, with what to write, for the error: e.g. Sequentum's `agents`.
    public var requiredDiscoverKeys: [String: String]

    public init(order: Order, discoverKeys: Set<String>, requiredDiscoverKeys: [String: String] = [:]) {
        self.order = order
        self.discoverKeys = discoverKeys
        self.requiredDiscoverKeys = requiredDiscoverKeys
    }

    /// The most entries read before the listing stops: the window, or ten windows' worth for an oldest-first list.
    public func entryCap(maxRuns: Int) -> Int {
        order == .oldestFirst ? 10 * maxRuns : maxRuns
    }

    /// The most pages read, so a server that keeps handing out tokens for empty pages ends: one per agent, or
    /// enough pages for `entryCap` and two more.
    public func maxPages(_ query: ListingQuery) -> Int {
        order == .perAgent ? query.agents.count : entryCap(maxRuns: query.maxRuns) / max(1, query.pageSize) + 2
    }

    /// Whether reaching `entryCap` ends the listing (a per-agent list ends with its agents instead).
    public var stopsAtEntryCap: Bool { order != .perAgent }

    /// Whether the runs need ordering newest first by start before the window is cut (all but a newest-first list).
    public var sortsByStart: Bool { order != .newestFirst }
}
