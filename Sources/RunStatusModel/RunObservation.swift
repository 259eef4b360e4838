/// What one successful poll of one run says, normalized. Times are Unix seconds (UTC).
public struct RunObservation: Sendable, Equatable {
    /// The normalized state.
    public var state: RunState
    /// The vendor's own value, as users know it (Sequentum's integer as its name, e.g. `Failure`).
    public var vendorState: String
    /// False when the vendor value is not in the mapping (it is then `unknown`, and counted).
    public var mapped: Bool
    /// When the run started (RSA `start-time`, Sequentum `startTime`, Instabase `start_timestamp`,
    /// WES `run_log.start_time`, Nexio `created_at`).
    public var startTime: Double?
    /// When the run truly ended; nil while it runs and for placeholder end times (RSA Aborted).
    public var endTime: Double?
    /// Processing time the vendor reports itself (Sequentum `runTimeSec`, Nexio `duration_ms`), in seconds.
    public var reportedDuration: Double?
    /// Errors the vendor reports for the run (Sequentum `errorCount`).
    public var reportedErrors: Double?
    /// True when this answer carried no times although the vendor has them elsewhere
    /// (WES `/status`): the poller then keeps the times it already knows, or fetches the details.
    public var timesUnknown: Bool

    public init(state: RunState, vendorState: String, mapped: Bool = true,
                startTime: Double? = nil, endTime: Double? = nil,
                reportedDuration: Double? = nil, reportedErrors: Double? = nil,
                timesUnknown: Bool = false) {
        self.state = state
        self.vendorState = vendorState
        self.mapped = mapped
        self.startTime = startTime
        self.endTime = endTime
        self.reportedDuration = reportedDuration
        self.reportedErrors = reportedErrors
        self.timesUnknown = timesUnknown
    }
}
