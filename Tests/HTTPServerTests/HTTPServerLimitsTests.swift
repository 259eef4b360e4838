import Dispatch
import Glibc
import TestSupport
import Testing
@testable import HTTPServer

/// The limits that keep abusive clients from locking out a scraper, on real loopback sockets.
@Suite(.timeLimit(.minutes(1))) struct HTTPServerLimitsTests {
    @Test func aNewcomerAtTheCapTakesThePlaceOfTheOldestHalfSentHead() async throws {
        try await withServer({ $0.maxConnections = 3 }, handler: { _ in .text(200, "ok") }) { server, port in
            var loris: [TestClient] = []
            for index in 0..<3 {
                let client = try await TestClient.connect(port: port)
                try await client.send("GET /\(index) HTTP/1.1\r\nHost: x\r\n")
                loris.append(client)
                // Accepted one by one, so "oldest" is well defined.
                #expect(await eventually { server.counters.openConnections == index + 1 })
            }
            let scraper = try await TestClient.connect(port: port)
            try await scraper.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await scraper.response().text == "ok")
            #expect(try await loris[0].closedByPeer())
            let counters = server.counters
            #expect(counters.evictedConnections == 1)
            #expect(counters.rejectedOverCapacity == 0)
            // The younger ones were left alone: they can still finish their requests.
            try await loris[2].send("\r\n")
            #expect(try await loris[2].response().status == 200)
        }
    }

    @Test func refusesWith503WhenEveryConnectionIsBusy() async throws {
        let release = DispatchSemaphore(value: 0)
        try await withServer({ $0.maxConnections = 2 }, handler: { _ in
            _ = release.wait(timeout: .now() + 10)
            return .text(200, "late")
        }) { server, port in
            let first = try await TestClient.connect(port: port), second = try await TestClient.connect(port: port)
            for client in [first, second] { try await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n") }
            #expect(await eventually { server.counters.requests == 2 })
            let third = try await TestClient.connect(port: port)
            try await third.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            // Requests being handled are not evicted: the newcomer is refused at once rather than left hanging.
            #expect(try await third.response().status == 503)
            #expect(try await third.closedByPeer())
            #expect(server.counters.evictedConnections == 0)
            release.signal()
            release.signal()
            #expect(try await first.response().text == "late")
            #expect(try await second.response().text == "late")
        }
    }

    /// `/private` answers 401, as an exporter with basic auth does to a client without credentials.
    static let authHandler: HTTPServer.Handler = { request in
        request.path == "/private" ? .text(401, "unauthorized") : .text(200, "ok")
    }

    /// One client hoarding idle keep-alive connections (answered, some of them 401) past the cap locks nobody out:
    /// each newcomer takes the place of the longest-idle one; its own first, as it holds more than its share.
    @Test func idleKeepAliveConnectionsGiveWayToNewcomers() async throws {
        try await withServer({ $0.maxConnections = 8 }, handler: Self.authHandler) { server, port in
            let hoard = try await IdleClients.open(count: 12, port: port, source: "127.0.0.2", batch: 1) { index in
                "GET \(index % 2 == 0 ? "/private" : "/") HTTP/1.1\r\nHost: x\r\n\r\n"
            }
            #expect(hoard.statuses == [401: 6, 200: 6])
            // Connections 9 to 12 each replaced one of the hoard's own, the longest idle.
            #expect(server.counters.evictedIdleConnections == 4)
            #expect(server.counters.openConnections == 8)

            // From another address, and even from the hoarding address itself.
            let (fresh, sameAddress) = try await Self.freshClientsAreServed(port: port, hoarder: "127.0.0.2")

            let counters = server.counters
            #expect(counters.rejectedOverCapacity == 0)
            #expect(counters.evictedIdleConnections == 6)
            #expect(counters.evictedConnections == 0)
            #expect(counters.openConnections == 8)
            #expect(await eventually { hoard.closedByServer() == 6 })
            // The two fresh clients are still being served.
            try await fresh.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await fresh.response().status == 200)
            withExtendedLifetime(sameAddress) {}
        }
    }

    /// A newcomer from 127.0.0.3 and one from the hoarding address are each answered "ok" at the cap. Returns both
    /// clients, still open (closing one would free a slot and change the counts that follow).
    static func freshClientsAreServed(port: UInt16, hoarder: String) async throws -> (TestClient, TestClient) {
        let fresh = try await TestClient.connect(port: port, source: "127.0.0.3")
        try await fresh.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await fresh.response().text == "ok")
        let sameAddress = try await TestClient.connect(port: port, source: hoarder)
        try await sameAddress.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await sameAddress.response().text == "ok")
        return (fresh, sameAddress)
    }

    /// Answers held back on purpose (a refusal, a failed login, held so that retrying costs nothing) must not let
    /// one client fill the cap with connections that never count as evictable: pipelined refused requests keep a
    /// connection busy for as long as the client likes.
    @Test func connectionsWaitingOutAHeldAnswerGiveWayToNewcomers() async throws {
        try await withServer({ configuration in
            configuration.maxConnections = 6
            configuration.route = { request in
                guard request.path == "/refused" else { return .workers }
                var response = HTTPResponse.text(429, "slow down")
                response.notBefore = .now + .seconds(60)
                return .respond(response)
            }
        }, handler: { _ in .text(200, "ok") }) { server, port in
            var hog: [TestClient] = []
            for _ in 0..<6 {
                let client = try await TestClient.connect(port: port, source: "127.0.0.2")
                try await client.send("GET /refused HTTP/1.1\r\nHost: x\r\n\r\nGET /refused HTTP/1.1\r\nHost: x\r\n\r\n")
                hog.append(client)
            }
            #expect(await eventually { server.counters.openConnections == 6 && server.counters.requests == 6 })

            let served = try await Self.freshClientsAreServed(port: port, hoarder: "127.0.0.2")
            let counters = server.counters
            #expect(counters.rejectedOverCapacity == 0)
            #expect(counters.evictedConnections == 2)
            #expect(counters.openConnections == 6)
            _ = (hog, served)
        }
    }

    /// At the cap, an address holding more than half of it gives way before another client's connection that has
    /// been idle longer.
    @Test func anAddressOverItsFairShareGivesWayFirst() async throws {
        try await withServer({ $0.maxConnections = 4 }, handler: Self.authHandler) { server, port in
            let scraper = try await TestClient.connect(port: port, source: "127.0.0.3")
            try await scraper.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await scraper.response().status == 200)
            let hoard = try await IdleClients.open(count: 3, port: port, source: "127.0.0.2", batch: 1) { _ in
                "GET /private HTTP/1.1\r\nHost: x\r\n\r\n"
            }
            #expect(hoard.statuses == [401: 3])
            #expect(server.counters.openConnections == 4)

            let newcomer = try await TestClient.connect(port: port, source: "127.0.0.4")
            try await newcomer.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await newcomer.response().status == 200)
            #expect(server.counters.evictedIdleConnections == 1)
            #expect(await eventually { hoard.closedByServer() == 1 })
            // The scraper's connection, idle longest of all, was left alone.
            try await scraper.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await scraper.response().status == 200)
            #expect(server.counters.evictedIdleConnections == 1)
        }
    }

    /// Full scale: 4,200 idle keep-alive connections against the default cap of 4,096, and a fresh client
    /// is served within 2 s. Needs about 8,500 descriptors in this process (both ends of each connection).
    @Test(.enabled(if: HTTPServerLimitsTests.fullScaleFits, "needs an open-file limit of 9,000"))
    func aFreshClientIsServedWithin2sWhile4200IdleConnectionsAreHeld() async throws {
        try await withServer(handler: Self.authHandler) { server, port in
            let hoard = try await IdleClients.open(count: 4200, port: port, source: "127.0.0.2") { index in
                "GET \(index % 2 == 0 ? "/private" : "/") HTTP/1.1\r\nHost: x\r\n\r\n"
            }
            #expect(hoard.statuses == [401: 2100, 200: 2100])
            #expect(server.counters.openConnections == 4096)
            // Held open to the end: a fresh client closing early would free a slot, and the next one would evict
            // nobody.
            var freshClients: [TestClient] = []
            for source in ["127.0.0.3", "127.0.0.2"] {
                let start = ContinuousClock.now
                let fresh = try await TestClient.connect(port: port, source: source)
                freshClients.append(fresh)
                try await fresh.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try await fresh.response().text == "ok")
                let elapsed = ContinuousClock.now - start
                #expect(elapsed < .seconds(2), "from \(source): \(elapsed)")
            }
            #expect(server.counters.rejectedOverCapacity == 0)
            #expect(server.counters.evictedIdleConnections == 104 + 2)
            freshClients.forEach { $0.close() }
            hoard.close()
        }
    }

    /// Raises this process's soft open-file limit to the hard one, as the exporter does, and says whether the
    /// full-scale test fits under it.
    static let fullScaleFits: Bool = {
        FileDescriptorLimit.raiseSoftToHard()
        return FileDescriptorLimit.current >= 9000
    }()

    @Test func toleratesBareLineFeedsOnTheWire() async throws {
        try await withServer(handler: { request in .text(200, request.header("Host") ?? "-") }) { _, port in
            let client = try await TestClient.connect(port: port)
            try await client.send("GET / HTTP/1.1\nHost: bare\n\nGET / HTTP/1.1\r\nHost: mixed\n\r\n")
            #expect(try await client.response().text == "bare")
            #expect(try await client.response().text == "mixed")
        }
    }

    @Test func capFitsTheOpenFileLimit() {
        #expect(FileDescriptorLimit.connectionCap(configured: 4096, limit: 1024) == 896)
        #expect(FileDescriptorLimit.connectionCap(configured: 512, limit: 1_048_576) == 512)
        #expect(FileDescriptorLimit.connectionCap(configured: 4096, limit: 40) == 30)
        #expect(FileDescriptorLimit.connectionCap(configured: 4096, limit: Int.max) == 4096)
        #expect(FileDescriptorLimit.connectionCap(configured: 10, limit: 4) == 1)
    }
}
