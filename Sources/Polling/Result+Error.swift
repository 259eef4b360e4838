import Configuration
import Foundation
import Logging
import RunStatusModel
import RunStore
import Synchronization

extension Result {
    var error: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
