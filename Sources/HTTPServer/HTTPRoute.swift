/// Where `HTTPServerConfiguration.route` sends a parsed request, decided on the event-loop thread before any
/// worker is involved.
public enum HTTPRoute: Sendable {
    /// The server's handler, on the `workerCount` threads.
    case workers
    /// This handler, on the `slowLaneWorkerCount` threads: work that is slow on purpose (a password hash) waits
    /// there in arrival order and never holds a thread that other requests need. The queue is not bounded here:
    /// the router bounds it by answering `.respond` when it deems it full.
    case slowLane(HTTPServer.Handler)
    /// This response at once (or at its `notBefore`), with no worker at all.
    case respond(HTTPResponse)
}
