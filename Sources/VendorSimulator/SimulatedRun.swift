/// One run a simulated vendor knows, with the script of states it goes through.
public struct SimulatedRun: Sendable {
    /// From `after` seconds past the run's creation on, the run reports `state`, the vendor's raw value
    /// (`"RUNNING"`, `"Completed"`, Sequentum's `"6"`).
    public struct Step: Sendable, Equatable {
        public var after: Double
        public var state: String
        public init(after: Double, state: String) {
            self.after = after
            self.state = state
        }
    }

    /// `"rsa"`, `"sequentum"`, `"instabase"`, `"wes"` or `"nexio"`.
    public var vendor: String
    /// As a client configures it: RSA numeric, Sequentum `AGENT/RUN` integers, the others uuids.
    public var id: String
    /// When the run was created, in seconds after the scenario's start (negative: before it). Before that the
    /// vendor does not know the run (404, absent from lists).
    public var startOffset: Double
    /// Steps in time order; the first one's state holds from creation whatever its `after`.
    public var script: [Step]
    public var fault: SimulatorFault?
    /// When the fault applies, in seconds after the scenario's start; nil: always.
    public var faultWindow: Range<Double>?
    /// Overrides for descriptive fields, by the vendor's field name: Sequentum `configName`; Instabase `app_id`,
    /// `deployment_id`, `msg`; WES `workflow_url`; Nexio `environment`, `engine_version` (absent unless given,
    /// as for an unpinned run).
    public var details: [String: String]

    public init(vendor: String, id: String, startOffset: Double = 0, script: [(after: Double, state: String)],
                fault: SimulatorFault? = nil, faultWindow: Range<Double>? = nil, details: [String: String] = [:]) {
        self.vendor = vendor
        self.id = id
        self.startOffset = startOffset
        self.script = script.map { Step(after: $0.after, state: $0.state) }
        self.fault = fault
        self.faultWindow = faultWindow
        self.details = details
    }
}
