import Configuration
import Exposition
import RunStatusModel
import Synchronization

/// What applying a listing changed, for the log.
package struct ListingOutcome: Sendable, Equatable {
    package var added = 0
    package var removed = 0
    package var refused = 0

    package init() {}
}
