import Configuration
import Exposition
import RunStatusModel
import Synchronization

/// The result of one request: an observation, or an error.
package enum PollOutcome: Sendable {
    case observed(RunObservation)
    case failed(PollError)
}
