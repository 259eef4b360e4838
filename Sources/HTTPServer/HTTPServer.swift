/// Placeholder with the agreed API: replaced by the real listener.
public struct HTTPServerConfiguration: Sendable {
    public var host: String
    public var port: UInt16
    public init(host: String = "127.0.0.1", port: UInt16 = 0) {
        self.host = host
        self.port = port
    }
}

public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse
    public init(configuration: HTTPServerConfiguration, handler: @escaping Handler) {}
    /// Binds, listens and starts serving on a thread of its own; returns the bound port.
    public func start() throws -> UInt16 { 0 }
    /// Stops accepting, finishes in-flight responses (bounded), closes everything.
    public func stop() {}
    public var port: UInt16 { 0 }
}
