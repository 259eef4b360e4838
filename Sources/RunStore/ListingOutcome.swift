import Configuration
import Exposition
import RunStatusModel
import Synchronization

/// What applying a listing changed, for the log.
package struct ListingOutcome: Sendable, Equatable {
    package var added = 0
    package var removed = 0
    package var refused = 0

    package init(added: Int = 0, removed: Int = 0, refused: Int = 0) {
        self.added = added
        self.removed = removed
        self.refused = refused
    }
}
