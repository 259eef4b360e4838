import RunStatusModel

/// The validated configuration: every field checked, durations in seconds, secrets not yet read (see `CredentialSource`).
public struct ExporterConfig: Sendable, Equatable {
    public var pollInterval: Double
    public var terminalPollInterval: Double
    public var timeout: Double
    public var maxConcurrency: Int
    /// Bound on a vendor answer's body; a larger one is counted as `too_large`.
    public var maxResponseBytes: Int
    /// Cap on the series the targets and their runs may produce (`max_series`); see `SeriesBudget`.
    public var maxSeries: Int
    public var targets: [TargetConfig]

    public static let defaultPollInterval = 30.0
    public static let defaultTerminalPollInterval = 600.0
    public static let defaultTimeout = 10.0
    public static let defaultMaxConcurrency = 16
    public static let defaultMaxResponseBytes = 8 << 20
    public static let defaultMaxSeries = 100_000

    public init(pollInterval: Double = defaultPollInterval, terminalPollInterval: Double = defaultTerminalPollInterval,
                timeout: Double = defaultTimeout, maxConcurrency: Int = defaultMaxConcurrency,
                maxResponseBytes: Int = defaultMaxResponseBytes, maxSeries: Int = defaultMaxSeries, targets: [TargetConfig]) {
        self.pollInterval = pollInterval
        self.terminalPollInterval = terminalPollInterval
        self.timeout = timeout
        self.maxConcurrency = maxConcurrency
        self.maxResponseBytes = maxResponseBytes
        self.maxSeries = maxSeries
        self.targets = targets
    }
}

public struct TargetConfig: Sendable, Equatable {
    public var name: String
    public var vendor: Vendor
    /// The base URL without a trailing slash; the vendor's documented path is appended.
    public var url: String
    public var auth: AuthConfig
    public var headers: [String: String]
    /// IANA zone for vendor times without a zone (RSA).
    public var timeZone: String
    public var runs: [RunConfig]
    public var pollInterval: Double
    public var terminalPollInterval: Double
    public var timeout: Double
    /// Finding runs through the vendor's list call (`discover`); nil: configured ids only.
    public var discover: DiscoveryConfig?
    /// The request budget (`rate_limit`); nil: none. Sequentum's documented 100 a minute unless configured.
    public var rateLimit: RateLimit?
    /// False drops the per-run families; the per-target aggregates stay (`per_run_metrics`).
    public var perRunMetrics: Bool

    /// `rateLimit` nil takes the vendor's documented limit (`Vendor.defaultRateLimit`); set the property to nil
    /// afterwards for no budget at all.
    public init(name: String, vendor: Vendor, url: String, auth: AuthConfig = .none, headers: [String: String] = [:],
                timeZone: String = "UTC", runs: [RunConfig], pollInterval: Double = ExporterConfig.defaultPollInterval,
                terminalPollInterval: Double = ExporterConfig.defaultTerminalPollInterval,
                timeout: Double = ExporterConfig.defaultTimeout, discover: DiscoveryConfig? = nil,
                rateLimit: RateLimit? = nil, perRunMetrics: Bool = true) {
        self.discover = discover
        self.rateLimit = rateLimit ?? vendor.defaultRateLimit
        self.perRunMetrics = perRunMetrics
        self.name = name
        self.vendor = vendor
        self.url = url
        self.auth = auth
        self.headers = headers
        self.timeZone = timeZone
        self.runs = runs
        self.pollInterval = pollInterval
        self.terminalPollInterval = terminalPollInterval
        self.timeout = timeout
    }
}

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

public struct RunConfig: Sendable, Equatable {
    public var id: String
    /// Extra labels for `runstatus_run_info`, in the order written.
    public var labels: [LabelPair]

    public init(id: String, labels: [LabelPair] = []) {
        self.id = id
        self.labels = labels
    }
}

public struct LabelPair: Sendable, Equatable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// How requests authenticate. The secret itself is read only when a request is made.
public enum AuthConfig: Sendable, Equatable {
    case none
    case bearer(CredentialSource)
    case apiKey(CredentialSource)
    case header(name: String, CredentialSource)

    public var source: CredentialSource? {
        switch self {
        case .none: nil
        case .bearer(let s), .apiKey(let s), .header(_, let s): s
        }
    }

    /// Header name and value for a secret.
    public func header(secret: String) -> (String, String)? {
        switch self {
        case .none: nil
        case .bearer: ("Authorization", "Bearer " + secret)
        case .apiKey: ("Authorization", "ApiKey " + secret)
        case .header(let name, _): (name, secret)
        }
    }

    /// What the landing page and logs may say about it (never the secret).
    public var summary: String {
        switch self {
        case .none: "none"
        case .bearer(let s): "bearer (\(s.summary))"
        case .apiKey(let s): "apikey (\(s.summary))"
        case .header(let name, let s): "header \(name) (\(s.summary))"
        }
    }
}

/// Where a secret lives. Custom `description` so a secret never leaks through string interpolation.
public enum CredentialSource: Sendable, Equatable, CustomStringConvertible {
    case inline(String)
    case file(String)
    case environment(String)

    public var summary: String {
        switch self {
        case .inline: "inline"
        case .file(let path): "file \(path)"
        case .environment(let name): "env \(name)"
        }
    }

    public var description: String { summary }
}
