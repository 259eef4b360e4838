import TLS

/// Where to listen, the limits that protect the process from clients, and the threads that serve.
/// Every limit has a production default; tests shorten the deadlines.
public struct HTTPServerConfiguration: Sendable {
    /// Empty for every interface (IPv6 and IPv4 on one socket where the system has IPv6, else IPv4);
    /// an IPv4 or IPv6 literal (brackets optional); or a host name, resolved by `start()`, bound on each address.
    public var host: String
    /// 0 for a free port chosen by the system; `HTTPServer.start()` returns it.
    public var port: UInt16

    /// Request line, without its line ending → 414.
    public var maxRequestLineBytes = 8 * 1024
    /// Request line plus headers → 431.
    public var maxHeadBytes = 16 * 1024
    /// Header fields → 431.
    public var maxHeaderCount = 100
    /// Request body, only accepted with `Content-Length` → 413.
    public var maxBodyBytes = 64 * 1024

    /// From accepting a connection, or from the first byte of a later request, to the end of the head.
    /// A client still sending then gets 408 and a closed socket: this, not a per-read timeout, stops slowloris.
    public var headTimeout: Duration = .seconds(10)
    /// From the end of the head to the end of the body → 408.
    public var bodyTimeout: Duration = .seconds(10)
    /// A kept-alive connection with no request for this long is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// A response making no progress for this long (the client stopped reading) is abandoned.
    public var writeTimeout: Duration = .seconds(30)
    /// After the last response on a connection, how long its input is drained before closing, so unread
    /// input does not turn the close into a reset that destroys the response on its way.
    public var lingerTimeout: Duration = .seconds(2)
    /// How long `stop()` lets responses in flight finish before closing every connection.
    public var shutdownGracePeriod: Duration = .seconds(2)

    /// Open connections. At the cap, a newcomer takes the place of the oldest connection still sending its request
    /// head (slowloris cannot lock out a scraper), else of the longest-idle keep-alive connection (nor can a
    /// client hoarding idle connections); one address holding half the cap makes room among its own connections
    /// first. When no connection may give way, the newcomer gets a quick 503 and is closed. The order is
    /// `ConnectionEvictionTable`'s. Cut at start to fit the open-file limit (see `FileDescriptorLimit`).
    public var maxConnections = 4096
    /// Threads running the handler, so a slow handler never stalls the event loop or other clients.
    public var workerCount = 4
    /// Threads of the slow lane (see `route`); started only when `route` is set.
    public var slowLaneWorkerCount = 1
    /// Where each parsed request goes (`HTTPRoute`): the workers, the slow lane, or an answer at once. Runs on the
    /// event-loop thread, so it must be quick and never block; nil sends every request to the workers.
    public var route: (@Sendable (HTTPRequest) -> HTTPRoute)?
    /// `listen(2)` backlog (the kernel caps it at `net.core.somaxconn`).
    public var backlog: Int32 = 511
    /// When accepting fails for lack of file descriptors or memory, accepting pauses this long.
    public var acceptBackoff: Duration = .milliseconds(100)

    /// Serve HTTPS: every connection starts with a TLS handshake (non-blocking, on the event loop, within
    /// `headTimeout`), then HTTP/1.1 through it. nil: plain HTTP. `HTTPServer.replaceTLSContext` changes it for
    /// new connections while serving. Over the connection cap a TLS connection is closed without the 503 (a
    /// handshake would be needed to send it).
    public var tls: TLSServerContext?
    /// TLS handshakes in progress at once; later connections wait their turn, their ClientHello unread (see
    /// `HandshakeGate`). A handshake holds about 45 KB until the client answers: a thousand clients connecting
    /// together would otherwise hold 45 MB at the same moment, and glibc keeps that heap afterwards.
    public var maxConcurrentHandshakes = 64
    /// How long a connection waits for a handshake slot at most; then it starts anyway, so that stalled handshakes
    /// delay others by this much and never lock them out.
    public var handshakePatience: Duration = .seconds(1)

    /// Listener-level problems (accept failures, file descriptor exhaustion, a handler outliving `stop()`),
    /// called on the server's own threads. Never given request data, which may hold credentials.
    public var log: (@Sendable (String) -> Void)?

    public init(host: String = "127.0.0.1", port: UInt16 = 0) {
        self.host = host
        self.port = port
    }

    /// From a parsed `--web.listen-address`.
    public init(address: ListenAddress) {
        self.init(host: address.host, port: address.port)
    }

    public var address: ListenAddress { ListenAddress(host: host, port: port) }

    var parserLimits: HTTPRequestParser.Limits {
        HTTPRequestParser.Limits(maxRequestLineBytes: maxRequestLineBytes, maxHeadBytes: maxHeadBytes,
                                 maxHeaderCount: maxHeaderCount, maxBodyBytes: maxBodyBytes)
    }
}
