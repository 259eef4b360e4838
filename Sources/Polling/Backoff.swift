import Configuration
import Foundation
import Logging
import RunStatusModel
import RunStore
import Synchronization

/// The time before which a target's vendor asked not to be called (Retry-After), shared by a cycle's requests.
final class Backoff: Sendable {
    private let value = Mutex<Double>(0)
    var until: Double { value.withLock { $0 } }
    func extend(to t: Double) { value.withLock { $0 = max($0, t) } }
}
