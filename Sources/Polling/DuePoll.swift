import Configuration
import Exposition
import Logging
import RunStatusModel
import RunStore
import Synchronization

/// One run to poll, with what is known of it already.
struct DuePoll: Sendable {
    var runID: String
    var needsDetails: Bool
    var previous: RunObservation?
    /// The list already gave the state (WES): the details call alone, which has the state and the times, will do.
    var detailsOnly = false
}
