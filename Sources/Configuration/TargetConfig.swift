import Logging
import RunStatusModel

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
    /// TLS and proxy settings of the requests (`tls_config`, `proxy_url`, …).
    public var client = ClientConfig()

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
