import Configuration
import Exposition
import Foundation
import HTTPServer
import Logging
import RunStatusModel
import RunStore
import Synchronization

/// A counter readable from any thread without a lock.
final class Counter: Sendable {
    private let atomic = Atomic<UInt64>(0)
    var value: UInt64 { atomic.load(ordering: .relaxed) }
    func increment() { atomic.add(1, ordering: .relaxed) }
    func set(_ v: UInt64) { atomic.store(v, ordering: .relaxed) }
}
