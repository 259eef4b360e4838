import Configuration
import Exposition
import RunStatusModel
import Synchronization

package struct RunEntry: Sendable {
    package let runID: String
    /// `vendor="…",target="…",run_id="…"`, encoded once.
    package let labels: LabelSet
    /// The user's run labels, for run_info (after vendor_state, added at render).
    package private(set) var runLabels: [LabelPair]
    package var observation: RunObservation?
    package var lastAttempt: Double?
    var finishedCounted = false
    /// True until a details call (WES) has given this run its times for its current state.
    package var needsDetails = false
    /// A list reported a new state without times (WES) that no poll has confirmed yet.
    package var listedStateUnconfirmed = false
    /// Named in the config (kept whatever discovery finds); found by the target's last listing.
    var configured = false
    var listed = false
    /// When the run was first seen in its current terminal state, for runs whose vendor gives no end time.
    var terminalSince: Double?

    /// When the run finished (its end time, else when it was first seen finished); nil while it has not.
    var finishedAt: Double? {
        guard let obs = observation, obs.state.isTerminal else { return nil }
        return obs.endTime ?? terminalSince
    }

    init(runID: String, target: LabelSet, runLabels: [LabelPair]) {
        self.runID = runID
        labels = target.appending("run_id", runID)
        self.runLabels = runLabels
    }

    mutating func setRunLabels(_ pairs: [LabelPair]) {
        runLabels = pairs
    }

    /// The normalized state, `unknown` until the run has answered once.
    package var state: RunState { observation?.state ?? .unknown }
}
