import Threading

/// Opens once; threads waiting on it then all go on. Lets a second `stop()` return only when the first is done.
final class Latch: @unchecked Sendable {  // isOpen is guarded by lock
    private let lock = ConditionLock()
    private var isOpen = false

    func open() {
        lock.withLock {
            isOpen = true
            lock.broadcast()
        }
    }

    func wait() {
        lock.withLock {
            while !isOpen { lock.wait() }
        }
    }
}
