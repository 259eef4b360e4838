import Configuration
import Exposition
import Logging
import RunStatusModel
import RunStore

struct HTTPCounterKey: Hashable, Sendable {
    var handler: String
    var code: Int
}
