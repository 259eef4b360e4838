import Glibc

/// A plain pthread: the event loop and the workers block in poll and in handlers, which must never happen on
/// Swift's cooperative pool (two blocked tasks there stall every other task on a 2-core machine).
enum OSThread {
    private final class Start: Sendable {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Starts `body` on a new thread; `name` says which in errors (pthread_setname_np is not exported here).
    /// A detached thread cannot be joined; the caller learns of its end some other way.
    @discardableResult
    static func spawn(name: String, detached: Bool,
                      _ body: @escaping @Sendable () -> Void) throws(HTTPServerError) -> pthread_t {
        let start = Unmanaged.passRetained(Start(name: name, body: body))
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { raw in
            let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
            start.body()
            return nil
        }, start.toOpaque())
        guard status == 0 else {
            start.release()
            throw .system("create thread", name, errno: status)
        }
        if detached { pthread_detach(thread) }
        return thread
    }

    static func join(_ thread: pthread_t) {
        pthread_join(thread, nil)
    }
}
