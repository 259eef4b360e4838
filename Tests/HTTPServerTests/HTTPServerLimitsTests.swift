import Dispatch
import Glibc
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
