import Logging
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
