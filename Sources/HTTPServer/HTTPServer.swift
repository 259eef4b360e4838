import Glibc
import Synchronization
import TLS

/// An embedded HTTP/1.1 server: one poll(2) event-loop thread for all sockets, a few worker threads for the
/// handler, and with `HTTPServerConfiguration.route` a slow lane of its own for work that must not hold them.
/// Limits and deadlines are in `HTTPServerConfiguration`; HEAD, `Date`, `Content-Length`, keep-alive and
/// pipelining are handled here, so a handler only maps a request to a response (and may treat HEAD like GET:
/// the body is not sent).
///
/// ```swift
/// let server = HTTPServer(configuration: .init(address: try ListenAddress(parsing: ":9464"))) { request in
///     .text(200, "ok")
/// }
/// let port = try server.start()
/// ...
/// server.stop()
/// ```
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    public let configuration: HTTPServerConfiguration
    private let handler: Handler
    private let lifecycle = Mutex(Lifecycle.idle)
    private let boundPort = Atomic<UInt16>(0)
    private let counterStore = CounterStore()
    private let stopped = Latch()

    private enum Lifecycle: Sendable {
        case idle
        case running(Runtime)
        case stopping
        case stopped
    }

    private struct Runtime: Sendable {
        let loop: EventLoop
        let thread: pthread_t
        let pool: WorkerPool
        let slowLane: WorkerPool?
    }

    public init(configuration: HTTPServerConfiguration, handler: @escaping Handler) {
        self.configuration = configuration
        self.handler = handler
    }

    deinit {
        stop()
    }

    /// Binds and listens before returning (so a port in use fails here, naming the address and the reason),
    /// then serves on threads of its own. Returns the bound port (the chosen one when the port is 0).
    /// May resolve a host name, which can block: call it at startup, not from a Swift task that must stay quick.
    /// A server starts once.
    @discardableResult
    public func start() throws -> UInt16 {
        try lifecycle.withLock { (state: inout Lifecycle) throws(HTTPServerError) -> UInt16 in
            guard case .idle = state else {
                throw HTTPServerError(message: "start \(configuration.address): server already started or stopped")
            }
            let listeners = try ListeningSocket.open(host: configuration.host, port: configuration.port,
                                                     backlog: configuration.backlog)
            var pool: WorkerPool?
            var slowLane: WorkerPool?
            do throws(HTTPServerError) {
                let mailbox = try Mailbox()
                let workers = try WorkerPool(threads: configuration.workerCount, name: "http-worker")
                pool = workers
                if configuration.route != nil {
                    slowLane = try WorkerPool(threads: configuration.slowLaneWorkerCount, name: "http-slow")
                }
                let loop = EventLoop(listeners: listeners, mailbox: mailbox, pool: workers, slowLane: slowLane,
                                     handler: handler, configuration: configuration, counters: counterStore)
                let thread = try OSThread.spawn(name: "http-loop", detached: false) { loop.run() }
                state = .running(Runtime(loop: loop, thread: thread, pool: workers, slowLane: slowLane))
            } catch {
                listeners.forEach { Glibc.close($0.fd) }
                _ = pool?.shutdown(waiting: .zero)
                _ = slowLane?.shutdown(waiting: .zero)
                throw error
            }
            let port = listeners[0].address.port
            boundPort.store(port, ordering: .releasing)
            return port
        }
    }

    /// Graceful: stops accepting, closes idle connections, lets responses in flight finish (at most
    /// `shutdownGracePeriod`), closes everything and ends the threads. Returns when done, including when
    /// another thread's `stop()` is doing it. Safe to call any number of times. Blocks: from a Swift task,
    /// use `shutdown()`.
    public func stop() {
        let runtime: Runtime? = lifecycle.withLock { state in
            switch state {
            case .idle:
                state = .stopped
                stopped.open()
                return nil
            case .running(let runtime):
                state = .stopping
                return runtime
            case .stopping, .stopped:
                return nil
            }
        }
        guard let runtime else {
            stopped.wait()
            return
        }
        runtime.loop.requestStop()
        OSThread.join(runtime.thread)
        // The loop has answered or dropped every request; a worker still busy runs a handler that outlived
        // the grace period and cannot be interrupted: it is left to finish on its own.
        let stuck = runtime.pool.shutdown(waiting: .milliseconds(200))
            + (runtime.slowLane?.shutdown(waiting: .milliseconds(200)) ?? 0)
        if stuck > 0 {
            configuration.log?("stop: \(stuck) handler(s) still running after the grace period; abandoned")
        }
        lifecycle.withLock { $0 = .stopped }
        stopped.open()
    }

    /// `stop()` on a thread of its own, so a Swift task awaiting it does not block the cooperative pool.
    public func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            do {
                try OSThread.spawn(name: "http-stop", detached: true) { [self] in
                    stop()
                    continuation.resume()
                }
            } catch {
                // No thread to spare: stopping here blocks this task, but still stops.
                stop()
                continuation.resume()
            }
        }
    }

    /// New connections use `context` (open ones keep theirs), e.g. after a certificate was renewed. Only for a
    /// server started with `configuration.tls`: a plain listener stays plain. Returns false when it cannot apply.
    @discardableResult
    public func replaceTLSContext(_ context: TLSServerContext) -> Bool {
        guard configuration.tls != nil else { return false }
        let loop: EventLoop? = lifecycle.withLock { state in
            if case .running(let runtime) = state { return runtime.loop }
            return nil
        }
        guard let loop else { return false }
        loop.replaceTLSContext(context)
        return true
    }

    /// The bound port; 0 before `start()`.
    public var port: UInt16 { boundPort.load(ordering: .acquiring) }

    /// The listener's counters, for the owner's own metrics.
    public var counters: HTTPServerCounters { counterStore.snapshot }
}
