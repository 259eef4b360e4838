import Logging
import RunStatusModel

public struct RunConfig: Sendable, Equatable {
    public var id: String
    /// Extra labels for `runstatus_run_info`, in the order written.
    public var labels: [LabelPair]

    public init(id: String, labels: [LabelPair] = []) {
        self.id = id
        self.labels = labels
    }
}
