import Synchronization

/// A value the concurrent requests of one cycle share, under a lock: the decisions stay in the value's own methods.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ value: Value) { self.value = Mutex(value) }

    func read<T: Sendable>(_ body: (Value) -> T) -> T { value.withLock { body($0) } }

    func update(_ body: (inout Value) -> Void) { value.withLock { body(&$0) } }
}
