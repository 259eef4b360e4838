/// What the simulated vendors know: their runs, the credentials they expect and their limits. A plain value:
/// build one, adjust it, hand it to `VendorSimulator`.
public struct SimulatorScenario: Sendable {
    /// The vendor names runs and credentials use.
    public static let vendors = ["rsa", "sequentum", "instabase", "wes", "nexio"]

    /// Unix seconds that run offsets and fault windows count from.
    public var start: Double
    public var runs: [SimulatedRun]
    /// The credential each vendor expects, by vendor name; a vendor absent here checks no auth. RSA, Instabase and
    /// Nexio take `Authorization: Bearer <it>`; Sequentum `ApiKey <it>` or `Bearer <it>`; WES `X-SBG-Auth-Token: <it>`
    /// or `Authorization: Bearer <it>`. A Nexio key starting `nx_live_` makes runs report environment `live`.
    public var credentials: [String: String]
    /// Sequentum's per-key limit, 100 a minute as documented; 0 turns it off.
    public var sequentumRequestsPerMinute: Int
    /// Nexio's per-key limit (its number is not documented); 0, the default, turns it off.
    public var nexioRequestsPerMinute: Int
    /// RSA reports zoneless server-local times: the server's offset from UTC, in seconds east.
    public var rsaUTCOffsetSeconds: Int
    /// Sliding-window limits by vendor name, on top of the vendors' own ones above; see `SimulatedRateLimit`.
    public var rateLimits: [String: SimulatedRateLimit] = [:]
    /// Keep a log of every request (`VendorSimulator.requestLog`); off by default, as it grows with every request.
    public var recordsRequests = false
    /// WES lists `RunSummary` objects with `start_time` and `end_time`, as WES 1.1 servers do.
    public var wesListsRunSummaries = false

    public init(start: Double, runs: [SimulatedRun] = [], credentials: [String: String] = [:],
                sequentumRequestsPerMinute: Int = 100, nexioRequestsPerMinute: Int = 0, rsaUTCOffsetSeconds: Int = 0) {
        self.start = start
        self.runs = runs
        self.credentials = credentials
        self.sequentumRequestsPerMinute = sequentumRequestsPerMinute
        self.nexioRequestsPerMinute = nexioRequestsPerMinute
        self.rsaUTCOffsetSeconds = rsaUTCOffsetSeconds
    }

    /// The credential a client of `vendor` must send; nil when the vendor checks none.
    public func credential(for vendor: String) -> String? {
        credentials[vendor]
    }

    /// The ids a client of `vendor` would configure, in scenario order (Sequentum's as `AGENT/RUN`).
    public func runIDs(for vendor: String) -> [String] {
        runs.filter { $0.vendor == vendor }.map(\.id)
    }
}
