import Logging
import RunStatusModel

/// `discover`: how a target finds its runs through the vendor's list call.
public struct DiscoveryConfig: Sendable, Equatable {
    /// The window: at most this many runs, newest first where the vendor orders its list so.
    public var maxRuns: Int
    /// A finished run older than this leaves /metrics; Instabase lists only runs created within it.
    public var maxAge: Double
    /// How often to list; nil: every poll interval of the target.
    public var interval: Double?
    /// WES `page_size`, Instabase `limit`.
    public var pageSize: Int
    /// Instabase filters.
    public var appID: String?
    public var deploymentID: String?
    public var statuses: [String]
    /// Sequentum: the agents to list, and `maxRecords` per agent (default `maxRuns`).
    public var agents: [Int32]
    public var maxRecords: Int?

    public static let defaultMaxRuns = 500
    public static let defaultMaxAge = 72 * 3600.0

    public init(maxRuns: Int = defaultMaxRuns, maxAge: Double = defaultMaxAge, interval: Double? = nil,
                pageSize: Int = ListingQuery.defaultPageSize, appID: String? = nil, deploymentID: String? = nil,
                statuses: [String] = [], agents: [Int32] = [], maxRecords: Int? = nil) {
        self.maxRuns = maxRuns
        self.maxAge = maxAge
        self.interval = interval
        self.pageSize = pageSize
        self.appID = appID
        self.deploymentID = deploymentID
        self.statuses = statuses
        self.agents = agents
        self.maxRecords = maxRecords
    }

    /// The list query as of `now` (Instabase's window starts `maxAge` ago, in whole seconds).
    public func query(now: Double) -> ListingQuery {
        ListingQuery(maxRuns: maxRuns, pageSize: pageSize, fromTimestamp: Int64(max(0, (now - maxAge).rounded(.down))),
                     appID: appID, deploymentID: deploymentID, statuses: statuses, agents: agents,
                     maxRecords: maxRecords ?? maxRuns)
    }
}
