import Dispatch
import Glibc
import Synchronization
import TestSupport
import Testing
@testable import HTTPServer

/// On real loopback sockets. Each test starts its own server on a free port and stops it.
@Suite(.timeLimit(.minutes(1))) struct HTTPServerTests {
    static let echo: HTTPServer.Handler = { request in
        .text(200, "\(request.method) \(request.target) from \(request.remoteAddress) body=\(request.body.count)")
    }

    @Test func answersGetAndHeadOnOneKeptAliveConnection() async throws {
        try await withServer(handler: { _ in .text(200, "hello") }) { server, port in
            let client = try await TestClient.connect(port: port)
            try await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            let get = try await client.response()
            #expect(get.status == 200)
            #expect(get.text == "hello")
            #expect(get.header("Content-Length") == "5")
            #expect(get.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(get.header("Date")?.hasSuffix(" GMT") == true)
            #expect(get.header("Connection") == nil)

            try await client.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
            let head = try await client.response(head: true)
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "5")
            // Had the HEAD response carried a body, it would be read as the start of this response.
            try await client.send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.response().text == "hello")

            let counters = server.counters
            #expect(counters.acceptedConnections == 1)
            #expect(counters.requests == 3)
            #expect(counters.openConnections == 1)
        }
    }

    @Test func passesEveryMethodAndTheRemoteAddressToTheHandler() async throws {
        try await withServer(handler: Self.echo) { _, port in
            let client = try await TestClient.connect(port: port)
            try await client.send("DELETE /x?y=1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
            #expect(try await client.response().text == "DELETE /x?y=1 from 127.0.0.1 body=0")
            #expect(try await client.response().text == "POST /p from 127.0.0.1 body=3")
        }
    }

    @Test func invitesAnExpectedBody() async throws {
        try await withServer(handler: Self.echo) { _, port in
            let client = try await TestClient.connect(port: port)
            try await client.send("POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
            #expect(try await client.response().status == 100)
            try await client.send("data")
            #expect(try await client.response().text == "POST /upload from 127.0.0.1 body=4")
        }
    }

    @Test func closesAsTheClientAsks() async throws {
        try await withServer(handler: { _ in .text(200, "ok") }) { _, port in
            let http10 = try await TestClient.connect(port: port)
            try await http10.send("GET / HTTP/1.0\r\n\r\n")
            #expect(try await http10.response().header("Connection") == "close")
            #expect(try await http10.closedByPeer())

            let close = try await TestClient.connect(port: port)
            try await close.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(try await close.response().status == 200)
            #expect(try await close.closedByPeer())

            let http10KeepAlive = try await TestClient.connect(port: port)
            try await http10KeepAlive.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try await http10KeepAlive.response().header("Connection") == "keep-alive")
            try await http10KeepAlive.send("GET / HTTP/1.0\r\n\r\n")
            #expect(try await http10KeepAlive.response().status == 200)
            #expect(try await http10KeepAlive.closedByPeer())
        }
    }

    @Test func answersPipelinedRequestsInOrder() async throws {
        // The first request is the slowest: answered in arrival order all the same.
        let handler: HTTPServer.Handler = { request in
            if request.target == "/a" { usleep(100_000) }
            return .text(200, String(request.target))
        }
        try await withServer(handler: handler) { server, port in
            let client = try await TestClient.connect(port: port)
            try await client.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nHEAD /c HTTP/1.1\r\nHost: x\r\n\r\nGET /d HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.response().text == "/a")
            #expect(try await client.response().text == "/b")
            #expect(try await client.response(head: true).header("Content-Length") == "2")
            #expect(try await client.response().text == "/d")
            #expect(server.counters.acceptedConnections == 1)
        }
    }

    @Test func answersAHalfClosedClient() async throws {
        try await withServer(handler: { _ in .text(200, "ok") }) { _, port in
            let client = try await TestClient.connect(port: port)
            try await client.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
            client.shutdownOutput()
            #expect(try await client.response().status == 200)
            #expect(try await client.response().status == 200)
            #expect(try await client.closedByPeer())
        }
    }

    @Test func refusesRequestsOverTheLimitsAndCloses() async throws {
        let cases: [(String, Int)] = [
            ("GET /" + String(repeating: "a", count: 300) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
            ("GET / HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X-Long: 0123456789\r\n", count: 40) + "\r\n", 431),
            ("GET / HTTP/1.1\r\nHost: x\r\n" + (0..<11).map { "H\($0): v\r\n" }.joined() + "\r\n", 431),
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n" + String(repeating: "b", count: 101), 413),
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501),
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n", 400),
            ("GET / HTTP/2.0\r\n\r\n", 505),
            // RFC 9112 §3.2, and no guessing which of two credentials counts.
            ("GET /metrics HTTP/1.1\r\n\r\n", 400),
            ("GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("GET /metrics HTTP/1.1\r\nHost: a\r\nAuthorization: Basic YTpi\r\nAuthorization: Basic Yzpk\r\n\r\n", 400),
        ]
        try await withServer({
            $0.maxRequestLineBytes = 256
            $0.maxHeadBytes = 512
            $0.maxHeaderCount = 10
            $0.maxBodyBytes = 100
        }, handler: Self.echo) { server, port in
            for (request, status) in cases {
                let client = try await TestClient.connect(port: port)
                try await client.send(request)
                let response = try await client.response()
                #expect(response.status == status, "\(request.prefix(40))")
                #expect(response.header("Connection") == "close")
                #expect(try await client.closedByPeer(), "\(status) then close")
            }
            #expect(server.counters.requests == 0)
            #expect(server.counters.errorResponses == [414: 1, 431: 2, 413: 1, 400: 5, 501: 1, 505: 1])
        }
    }

    /// A client sending a byte every 50 ms beats any per-read timeout; only a deadline for the whole head stops it.
    @Test func givesASlowlorisClient408() async throws {
        // Connecting, the first line and every drip happen on one thread: on a loaded machine a thread hop can
        // take longer than the deadline. The deadline is 20 drips long, so several bytes arrive before it passes,
        // each of which a per-read timeout would have counted as progress.
        try await withServer({ $0.headTimeout = .seconds(1) }, handler: Self.echo) { server, port in
            let (client, dripped) = try await TestClient.connectAndDrip(port: port, head: "GET / HTTP/1.1\r\nHost: x\r\n",
                                                                        drip: "X", interval: 50, max: 200)
            // The 408 came while the client was still dripping, long before it would have given up (10 s).
            #expect(dripped >= 2 && dripped < 200)
            let response = try await client.response()
            #expect(response.status == 408)
            #expect(try await client.closedByPeer())
            #expect(server.counters.errorResponses[408] == 1)
        }
    }

    @Test func closesAnIdleConnectionSilently() async throws {
        try await withServer({
            $0.headTimeout = .seconds(1)
            $0.idleTimeout = .milliseconds(200)
        }, handler: Self.echo) { _, port in
            let fresh = try await TestClient.connect(port: port)
            #expect(try await fresh.closedByPeer())
            // Connect and request in one go: the head deadline runs from the accept.
            let kept = try await TestClient.connect(port: port, sending: "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await kept.response().status == 200)
            #expect(try await kept.closedByPeer())
        }
    }

    /// Only when no connection may give way (each has a request in progress) is a newcomer refused.
    @Test func refusesAConnectionOverTheCapWith503() async throws {
        let logs = Mutex<[String]>([])
        let release = DispatchSemaphore(value: 0)
        try await withServer({
            $0.maxConnections = 2
            $0.log = { message in logs.withLock { $0.append(message) } }
        }, handler: { request in
            if request.path == "/slow" { _ = release.wait(timeout: .now() + 10) }
            return .text(200, "ok")
        }) { server, port in
            let first = try await TestClient.connect(port: port), second = try await TestClient.connect(port: port)
            for client in [first, second] { try await client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n") }
            #expect(await eventually { server.counters.requests == 2 })
            let third = try await TestClient.connect(port: port)
            try await third.send("GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cr3t\r\n\r\n")
            #expect(try await third.response().status == 503)
            #expect(try await third.closedByPeer())
            #expect(server.counters.rejectedOverCapacity == 1)
            #expect(server.counters.openConnections == 2)
            release.signal()
            release.signal()
            for client in [first, second] { #expect(try await client.response().status == 200) }

            // A freed slot serves again, with nobody evicted.
            try await first.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(try await first.response().status == 200)
            first.close()
            #expect(await eventually { server.counters.openConnections == 1 })
            let fourth = try await TestClient.connect(port: port)
            try await fourth.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await fourth.response().status == 200)
            #expect(server.counters.evictedIdleConnections == 0)
        }
        let logged = logs.withLock { $0 }
        #expect(logged.contains { $0.contains("connection cap of 2") })
        #expect(!logged.contains { $0.contains("s3cr3t") })
    }

    /// 8 MiB of a 251-byte pattern (a prime length, so a lost or repeated chunk shows), built by doubling
    /// with memcpy: byte-wise code is slow in debug builds.
    static let bigBody: [UInt8] = {
        var bytes = [UInt8](repeating: 0, count: 8 << 20)
        bytes.withUnsafeMutableBytes { raw in
            for index in 0..<251 { raw[index] = UInt8(index) }
            var filled = 251
            while filled < raw.count {
                let count = min(filled, raw.count - filled)
                memcpy(raw.baseAddress! + filled, raw.baseAddress!, count)
                filled += count
            }
        }
        return bytes
    }()

    @Test func sendsAn8MBBodyIntactToSeveralClients() async throws {
        let body = Self.bigBody
        try await withServer(handler: { _ in HTTPResponse(status: 200, body: body) }) { _, port in
            var clients: [TestClient] = []
            for _ in 0..<3 { clients.append(try await TestClient.connect(port: port)) }
            for client in clients { try await client.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n") }
            for client in clients {
                let response = try await client.response()
                #expect(response.body.count == body.count)
                #expect(response.body == body)
            }
        }
    }

    @Test func survivesAClientThatLeavesDuringAn8MBBody() async throws {
        let body = Self.bigBody
        try await withServer(handler: { request in
            request.target == "/big" ? HTTPResponse(status: 200, body: body) : .text(200, "small")
        }) { server, port in
            for round in 1...3 {
                // A small receive buffer, so the body cannot sit whole in kernel buffers and the server is
                // still sending when the client leaves.
                let client = try await TestClient.connect(port: port, receiveBuffer: 64 * 1024)
                try await client.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
                // Patient: on a loaded machine the first byte can take seconds.
                try #require(try await client.readable(within: 20_000), "round \(round): no response byte")
                // Closing with unread data makes the kernel send a reset: the server's next send fails
                // (EPIPE/ECONNRESET), which must close the connection, not kill the process with SIGPIPE.
                client.close()
                // One client at a time, each waited for: the server must close every abandoned connection
                // by itself (the write deadline is 30 s, far beyond this wait, so it is not what closes them).
                let closed = await eventually(timeout: 20) {
                    let c = server.counters
                    return c.openConnections == 0 && c.abortedResponses == round
                }
                #expect(closed, "round \(round): \(server.counters)")
            }
            let client = try await TestClient.connect(port: port)
            try await client.send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.response().text == "small")
        }
    }

    /// `bodyOwner` lives exactly as long as the body is being sent: a handler sharing one body among clients
    /// (the render cache) counts on its release to know when the last send is over.
    ///
    /// The client counts what it has read, and the owner notes that count when it goes. The send is over only once
    /// what the client has not read fits the kernel's buffers (the server's send buffer, at most `tcp_wmem`'s
    /// maximum; the client's receive buffer; one read not counted yet), so an owner released any earlier notes less
    /// than the response minus that: the check is tied to what was read, not to how long the test waited.
    @Test func keepsTheBodyOwnerUntilTheBodyIsSent() async throws {
        final class Progress: Sendable {
            let read = Atomic<Int>(0)
            let readWhenReleased = Atomic<Int>(-1)
        }
        final class Owner: Sendable {
            let progress: Progress
            init(_ progress: Progress) { self.progress = progress }
            deinit { progress.readWhenReleased.store(progress.read.load(ordering: .sequentiallyConsistent), ordering: .sequentiallyConsistent) }
        }
        let progress = Progress()
        let chunk = 64 * 1024
        // What the kernel can hold of a response the client has not read, with room to spare.
        let sendBufferMax: Int = {
            let fd = open("/proc/sys/net/ipv4/tcp_wmem", O_RDONLY)
            guard fd >= 0 else { return 4 << 20 }
            defer { close(fd) }
            var bytes = [UInt8](repeating: 0, count: 128)
            let n = read(fd, &bytes, bytes.count)
            let fields = String(decoding: bytes[0..<max(0, n)], as: UTF8.self).split(whereSeparator: \.isWhitespace)
            return fields.last.flatMap { Int($0) } ?? 4 << 20
        }()
        let inKernel = sendBufferMax + 4 * chunk + (1 << 20)
        // Well beyond that, so an early release cannot hide in it (32 MB with Linux's default 4 MB).
        let body = [UInt8](repeating: 0x61, count: max(32 << 20, 4 * inKernel))
        try await withServer(handler: { _ in
            var response = HTTPResponse(status: 200, body: body)
            response.bodyOwner = Owner(progress)
            return response
        }) { _, port in
            let client = try await TestClient.connect(port: port, receiveBuffer: Int32(chunk))
            try await client.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            let fd = client.fd
            // The whole response, counted as it is read: (head length, body length).
            let (head, received) = try await onThread { () throws -> (Int, Int) in
                var start: [UInt8] = []
                var headLength: Int?
                var total = 0
                var buffer = [UInt8](repeating: 0, count: chunk)
                while headLength.map({ total < $0 + body.count }) ?? true {
                    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    guard n > 0 else { throw TestFailure("recv: \(n == 0 ? "end of input" : String(cString: strerror(errno))) after \(total) bytes") }
                    total += n
                    progress.read.store(total, ordering: .sequentiallyConsistent)
                    if headLength == nil {
                        start += buffer[0..<n]
                        if let end = (0..<max(0, start.count - 3)).first(where: { start[$0..<$0 + 4].elementsEqual([13, 10, 13, 10]) }) {
                            headLength = end + 4
                        }
                    }
                }
                return (headLength ?? 0, total - (headLength ?? 0))
            }
            #expect(received == body.count)
            #expect(await eventually { progress.readWhenReleased.load(ordering: .sequentiallyConsistent) >= 0 },
                    "never released after the body was sent")
            let readWhenReleased = progress.readWhenReleased.load(ordering: .sequentiallyConsistent)
            #expect(readWhenReleased >= head + body.count - inKernel,
                    "released with \(head + body.count - readWhenReleased) bytes still to send (the kernel holds at most \(inKernel))")
        }
    }

    @Test func runsHandlersOffTheEventLoop() async throws {
        // The slow handler waits until the client of another connection has its response: impossible if
        // handlers ran on the event loop (the fast request would not even be read).
        let fastAnswered = DispatchSemaphore(value: 0)
        let handler: HTTPServer.Handler = { request in
            guard request.target == "/slow" else { return .text(200, "fast") }
            let result = fastAnswered.wait(timeout: .now() + 5)
            return .text(200, result == .success ? "slow after fast" : "slow timed out")
        }
        try await withServer(handler: handler) { server, port in
            let slow = try await TestClient.connect(port: port)
            try await slow.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await eventually { server.counters.requests == 1 })
            let fast = try await TestClient.connect(port: port)
            try await fast.send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await fast.response().text == "fast")
            fastAnswered.signal()
            #expect(try await slow.response().text == "slow after fast")
        }
    }

    @Test func stopsPromptlyWithClientsConnected() async throws {
        let started = DispatchSemaphore(value: 0)
        let boundPort = Atomic<UInt16>(0)
        var configuration = HTTPServerConfiguration()
        configuration.shutdownGracePeriod = .seconds(2)
        let server = HTTPServer(configuration: configuration) { request in
            if request.target == "/slow" {
                started.signal()
                // Still busy when the stop begins, however late the stopping thread runs on a loaded machine:
                // wait until the listener refuses connections (the first thing stop does), then a little more.
                for _ in 0..<500 where Self.accepts(port: boundPort.load(ordering: .relaxed)) { usleep(10_000) }
                usleep(50_000)
            }
            return .text(200, "done")
        }
        let port = try server.start()
        boundPort.store(port, ordering: .relaxed)
        let idle = try await TestClient.connect(port: port)
        try await idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try await idle.response()
        let partial = try await TestClient.connect(port: port)
        try await partial.send("GET / HTTP/1.1\r\nHost:")
        let busy = try await TestClient.connect(port: port)
        try await busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        let handlerStarted = await onThread { started.wait(timeout: .now() + 5) == .success }
        try #require(handlerStarted)

        async let stopped: Void = server.shutdown()
        #expect(try await idle.closedByPeer())
        #expect(try await partial.closedByPeer())
        // The response in flight is finished, with Connection: close, before its connection closes.
        let inFlight = try await busy.response()
        #expect(inFlight.text == "done")
        #expect(inFlight.header("Connection") == "close")
        #expect(try await busy.closedByPeer())
        busy.close()
        await stopped

        // Stopped means stopped: the port refuses, a second stop returns, a restart is refused.
        await #expect(throws: TestFailure.self) { _ = try await TestClient.connect(port: port) }
        server.stop()
        #expect(throws: HTTPServerError.self) { try server.start() }
    }

    /// Whether a connection to the port is accepted now (blocking; for handlers, which run on worker threads).
    static func accepts(port: UInt16) -> Bool {
        guard let client = try? TestClient.connectNow(port: port) else { return false }
        client.close()
        return true
    }

    @Test func stopCutsOffAHandlerThatOutlivesTheGracePeriod() async throws {
        let release = DispatchSemaphore(value: 0)
        var configuration = HTTPServerConfiguration()
        configuration.shutdownGracePeriod = .milliseconds(200)
        let logs = Mutex<[String]>([])
        configuration.log = { message in logs.withLock { $0.append(message) } }
        let server = HTTPServer(configuration: configuration) { _ in
            _ = release.wait(timeout: .now() + 5)
            return .text(200, "late")
        }
        let port = try server.start()
        let client = try await TestClient.connect(port: port)
        try await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await eventually { server.counters.requests == 1 })
        await server.shutdown()
        #expect(try await client.closedByPeer())
        release.signal()
        #expect(server.counters.abortedResponses == 1)
        #expect(logs.withLock { $0 }.contains { $0.contains("1 handler(s) still running") })
    }

    @Test func namesTheAddressWhenThePortIsTaken() async throws {
        let first = HTTPServer(configuration: HTTPServerConfiguration(), handler: Self.echo)
        let port = try first.start()
        defer { first.stop() }
        let second = HTTPServer(configuration: HTTPServerConfiguration(port: port), handler: Self.echo)
        #expect(throws: HTTPServerError(message: "bind 127.0.0.1:\(port): Address already in use", errno: EADDRINUSE)) {
            try second.start()
        }
        second.stop()
    }

    @Test func listensOnEveryInterfaceAndOnNames() async throws {
        for address in [":0", "localhost:0", "0.0.0.0:0"] {
            let server = HTTPServer(configuration: HTTPServerConfiguration(address: try ListenAddress(parsing: address)),
                                    handler: Self.echo)
            let port = try server.start()
            #expect(port != 0)
            let client = try await TestClient.connect(port: port, host: "127.0.0.1")
            try await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.response().status == 200, "\(address)")
            await server.shutdown()
        }
        #expect(throws: HTTPServerError.self) {
            try HTTPServer(configuration: HTTPServerConfiguration(host: "no-such-host.invalid", port: 0),
                           handler: Self.echo).start()
        }
    }

    /// Whether this machine has an IPv6 loopback to bind.
    static let hasIPv6Loopback: Bool = {
        let probe = socket(AF_INET6, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        defer { if probe >= 0 { close(probe) } }
        var loopback = SocketAddress()
        loopback.storage.ss_family = sa_family_t(AF_INET6)
        withUnsafeMutableBytes(of: &loopback.storage) { raw in
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_addr = in6addr_loopback
            raw.storeBytes(of: sin6, as: sockaddr_in6.self)
        }
        loopback.length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        return probe >= 0 && loopback.withSockaddr { bind(probe, $0, $1) } == 0
    }()

    // No IPv6 here: skipped, saying so; the dual-stack fallback is what runs instead.
    @Test(.enabled(if: hasIPv6Loopback, "no IPv6 loopback on this machine (::1 cannot be bound)"))
    func listensOnIPv6WhenTheSystemHasIt() async throws {

        for address in ["[::1]:0", ":0"] {
            let server = HTTPServer(configuration: HTTPServerConfiguration(address: try ListenAddress(parsing: address)),
                                    handler: Self.echo)
            let port = try server.start()
            let client = try await TestClient.connect(port: port, host: "::1")
            try await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.response().text == "GET / from ::1 body=0", "\(address)")
            await server.shutdown()
        }
    }
}
