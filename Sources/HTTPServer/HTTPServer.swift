/// Placeholder: replaced by the real listener.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse
    public init() {}
}
