import TestSupport
@testable import HTTPServer

/// Starts a server on a free loopback port, runs `body`, and always stops the server.
func withServer(_ configure: (inout HTTPServerConfiguration) -> Void = { _ in },
                handler: @escaping HTTPServer.Handler,
                _ body: (HTTPServer, UInt16) async throws -> Void) async throws {
    var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
    configuration.shutdownGracePeriod = .milliseconds(500)
    configure(&configuration)
    let server = HTTPServer(configuration: configuration, handler: handler)
    let port = try server.start()
    do {
        try await body(server, port)
    } catch {
        await server.shutdown()
        throw error
    }
    await server.shutdown()
}
