import Synchronization

/// The counters, written by the event loop and read by the owner from any thread.
final class CounterStore: Sendable {
    private let counters = Mutex(HTTPServerCounters())

    func update(_ body: (inout HTTPServerCounters) -> Void) {
        counters.withLock { body(&$0) }
    }

    var snapshot: HTTPServerCounters { counters.withLock { $0 } }
}
