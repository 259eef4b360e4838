/// What the listener has seen, for the owner's own metrics. Totals count from `start()`.
public struct HTTPServerCounters: Sendable, Equatable {
    /// Connections open now, refused ones excluded.
    public var openConnections = 0
    /// Connections accepted, refused ones included.
    public var acceptedConnections = 0
    /// Requests given to the handler.
    public var requests = 0
    /// Connections answered 503 and closed because `maxConnections` were open.
    public var rejectedOverCapacity = 0
    /// Connections still sending their request head, closed at the cap to make room for a newcomer.
    public var evictedConnections = 0
    /// Idle keep-alive connections (no request in progress), closed at the cap to make room for a newcomer.
    public var evictedIdleConnections = 0
    /// Connections dropped because the process or the system ran out of file descriptors.
    public var rejectedNoFileDescriptors = 0
    /// Responses the server made itself, by status: parse errors (400, 413, 414, 431, 501, 505) and 408.
    public var errorResponses: [Int: Int] = [:]
    /// Responses not delivered whole: the client went away, stopped reading, or `stop()` ran out of time.
    public var abortedResponses = 0
    /// TLS handshakes completed (with `HTTPServerConfiguration.tls`).
    public var tlsHandshakes = 0
    /// TLS handshakes that failed: plain HTTP or garbage on the TLS port, a refused client certificate, a client
    /// refusing ours, a version or cipher mismatch. Each cost its connection only.
    public var tlsHandshakeFailures = 0
    /// TLS connections that waited for a handshake slot (`maxConcurrentHandshakes` were in progress).
    public var tlsHandshakesQueued = 0

    public init() {}
}
