import Foundation
import Glibc
import HTTPServer
import RunStatusModel
import TestSupport
import Testing
@testable import CurlTransport
@testable import Polling
@testable import Serving

/// The libcurl fetcher against loopback peers: the project's HTTPServer, or a bare socket that never answers.
@Suite(.timeLimit(.minutes(1))) struct CurlFetcherTests {
    /// Answers every request with its own path and request headers, so the client's side can be checked.
    static func echoServer() throws -> (HTTPServer, UInt16) {
        let server = HTTPServer(configuration: HTTPServerConfiguration()) { request in
            var headers = [(name: "X-Echo-Path", value: String(request.path)), (name: "X-Multi", value: "a")]
            headers.append((name: "x-multi", value: "b"))
            headers.append((name: "X-Echo-Key", value: request.header("x-api-key") ?? "-"))
            return HTTPResponse(status: 201, headers: headers + [(name: "Content-Type", value: "application/json")],
                                body: Array(#"{"ok":true}"#.utf8))
        }
        return (server, try server.start())
    }

    @Test func statusHeadersAndBodyRoundTripOverOneKeptAliveConnection() async throws {
        let (server, port) = try Self.echoServer()
        let fetcher = CurlFetcher()
        for i in 1...3 {
            let result = await fetcher.get(URL(string: "http://127.0.0.1:\(port)/runs/\(i)?x=1")!,
                                           headers: ["X-Api-Key": "k\(i)", "Accept": "application/json"],
                                           timeout: 10, maxBodyBytes: 1024)
            let response = try result.get()
            #expect(response.status == 201)
            #expect(response.body == Array(#"{"ok":true}"#.utf8))
            #expect(response.headers["x-echo-path"] == "/runs/\(i)")
            #expect(response.headers["x-echo-key"] == "k\(i)")
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.headers["x-multi"] == "a, b")
            #expect(response.headers.keys.allSatisfy { $0 == $0.lowercased() })
        }
        #expect(server.counters.requests == 3)
        #expect(server.counters.acceptedConnections == 1, "keep-alive: \(server.counters)")
        await server.shutdown()
    }

    @Test func aPeerThatNeverAnswersTimesOut() async throws {
        let peer = try SilentPeer(listening: true)
        defer { peer.close() }
        let result = await CurlFetcher().get(URL(string: "http://127.0.0.1:\(peer.port)/runs/1")!, headers: [:],
                                             timeout: 0.3, maxBodyBytes: 1024)
        #expect(result.error?.reason == .timeout)
        #expect(result.error?.message.contains("timed out") == true)
    }

    @Test func aRefusedConnectionIsAConnectionErrorWithoutTheURL() async throws {
        let peer = try SilentPeer(listening: false)
        defer { peer.close() }
        let result = await CurlFetcher().get(URL(string: "http://user:s3cret@127.0.0.1:\(peer.port)/runs/1")!,
                                             headers: ["Authorization": "Bearer t0ken"], timeout: 5, maxBodyBytes: 1024)
        let error = try #require(result.error)
        #expect(error.reason == .connection)
        #expect(!error.description.contains("s3cret") && !error.description.contains("t0ken")
                && !error.description.contains("127.0.0.1"), "\(error)")
    }

    @Test func aTLSFailureIsAConnectionErrorSayingTLS() async throws {
        // HTTPS to a plain-HTTP loopback peer: the handshake fails (no certificate ever verifies here).
        let (server, port) = try Self.echoServer()
        let result = await CurlFetcher().get(URL(string: "https://127.0.0.1:\(port)/runs/1")!, headers: [:],
                                             timeout: 10, maxBodyBytes: 1024)
        let error = try #require(result.error)
        #expect(error.reason == .connection)
        #expect(error.message.contains("TLS"), "\(error)")
        await server.shutdown()
    }

    @Test func cancellingTheCallingTaskAbortsTheTransfer() async throws {
        let peer = try SilentPeer(listening: true)
        defer { peer.close() }
        let fetcher = CurlFetcher()
        let task = Task {
            await fetcher.get(URL(string: "http://127.0.0.1:\(peer.port)/runs/1")!, headers: [:],
                              timeout: 50, maxBodyBytes: 1024)
        }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        let error = try #require(await task.value.error)
        // The poller's contract: a cancelled request is a `timeout` whose message says cancelled.
        #expect(error == CurlFetcher.cancelledError)
        // Cancelled before it even started: the same answer.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await fetcher.get(URL(string: "http://127.0.0.1:\(peer.port)/runs/2")!, headers: [:],
                                     timeout: 50, maxBodyBytes: 1024)
        }
        #expect(await early.value.error == CurlFetcher.cancelledError)
    }

    @Test func aRedirectToAnotherOriginIsNotFollowedButOneWithinIsFollowed() async throws {
        let (elsewhere, otherPort) = try Self.echoServer()
        let server = HTTPServer(configuration: HTTPServerConfiguration()) { request in
            switch request.path {
            case "/away": HTTPResponse(status: 302, headers: [(name: "Location", value: "http://127.0.0.1:\(otherPort)/stolen")])
            case "/moved": HTTPResponse(status: 307, headers: [(name: "Location", value: "/here")])
            case "/here": HTTPResponse(status: 200, body: Array("key=\(request.header("x-api-key") ?? "-")".utf8))
            default: HTTPResponse(status: 404)
            }
        }
        let port = try server.start()
        let fetcher = CurlFetcher()
        let away = try await fetcher.get(URL(string: "http://127.0.0.1:\(port)/away")!, headers: ["X-Api-Key": "secret"],
                                         timeout: 10, maxBodyBytes: 1024).get()
        #expect(away.status == 302)
        #expect(elsewhere.counters.requests == 0, "the credentials went to another port")
        let moved = try await fetcher.get(URL(string: "http://127.0.0.1:\(port)/moved")!, headers: ["X-Api-Key": "secret"],
                                          timeout: 10, maxBodyBytes: 1024).get()
        #expect(moved.status == 200)
        #expect(moved.body == Array("key=secret".utf8))
        await server.shutdown()
        await elsewhere.shutdown()
    }

    @Test func gzipIsDecodedAndTheBoundAppliesToDecodedBytes() async throws {
        let plain = [UInt8](repeating: UInt8(ascii: "a"), count: 200_000)
        let packed = try #require(Gzip.compress(plain))
        let server = HTTPServer(configuration: HTTPServerConfiguration()) { request in
            let asked = request.header("accept-encoding") ?? ""
            return HTTPResponse(status: 200, headers: asked.contains("gzip") ? [(name: "Content-Encoding", value: "gzip")] : [],
                                body: asked.contains("gzip") ? packed : plain)
        }
        let port = try server.start()
        let fetcher = CurlFetcher()
        let url = URL(string: "http://127.0.0.1:\(port)/runs/1")!
        let whole = try await fetcher.get(url, headers: [:], timeout: 10, maxBodyBytes: 1 << 20).get()
        #expect(whole.headers["content-encoding"] == "gzip")
        #expect(whole.body == plain)
        // Well under the bound on the wire, past it once decoded.
        #expect(packed.count < 10_000)
        let cut = await fetcher.get(url, headers: [:], timeout: 10, maxBodyBytes: 100_000)
        #expect(cut.error?.reason == .tooLarge)
        await server.shutdown()
    }

    @Test func responseHeadersAreBoundedToo() async throws {
        let server = HTTPServer(configuration: HTTPServerConfiguration()) { _ in
            HTTPResponse(status: 200, headers: [(name: "X-Big", value: String(repeating: "b", count: 8192))], body: [])
        }
        let port = try server.start()
        let result = await CurlFetcher(maxHeaderBytes: 4096).get(URL(string: "http://127.0.0.1:\(port)/")!, headers: [:],
                                                                 timeout: 10, maxBodyBytes: 1 << 20)
        #expect(result.error?.reason == .tooLarge)
        #expect(result.error?.message.contains("headers") == true)
        await server.shutdown()
    }

    @Test func aHeaderValueWithALineBreakIsRefusedUnsent() async throws {
        let (server, port) = try Self.echoServer()
        let result = await CurlFetcher().get(URL(string: "http://127.0.0.1:\(port)/")!,
                                             headers: ["X-Api-Key": "k\r\nX-Injected: 1"], timeout: 10, maxBodyBytes: 1024)
        #expect(result.error?.reason == .badRequest)
        #expect(result.error?.message.contains("X-Injected") == false)
        #expect(server.counters.requests == 0)
        await server.shutdown()
    }

    @Test func sameOriginComparesSchemeHostAndEffectivePort() {
        #expect(CurlEngine.sameOrigin("http://a.example/x", "http://A.example:80/y"))
        #expect(CurlEngine.sameOrigin("https://a.example/x", "https://a.example:443/y"))
        #expect(!CurlEngine.sameOrigin("https://a.example/x", "http://a.example/x"))
        #expect(!CurlEngine.sameOrigin("http://a.example/x", "http://a.example:8080/x"))
        #expect(!CurlEngine.sameOrigin("http://a.example/x", "http://b.example/x"))
    }
}

/// A loopback port that never answers: listening (connections complete in the backlog, nothing is ever read or
/// written) or merely bound (a connection is refused).
private struct SilentPeer {
    let fd: Int32
    let port: UInt16

    init(listening: Bool) throws {
        (fd, port) = try LoopbackPort.bind(listening: listening ? 8 : nil)
    }

    func close() { Glibc.close(fd) }
}
