import Foundation
import Glibc
import HTTPServer
import Synchronization
import TestSupport
import Testing
@testable import RunStatusExporter
@testable import Serving

/// Basic auth under attack, on real loopback sockets: a wrong-password flood never reaches the scrapes whose
/// credentials are verified, nor the health check; a failed login costs the same whether the name exists or not.
/// The only timed assertions here are the behaviours that are about time (scrape latency under a flood, equal cost of failed logins), with wide margins.
@Suite(.serialized, .timeLimit(.minutes(1))) struct WebGateLoadTests {
    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    static func median(_ values: [Duration]) -> Duration {
        values.sorted()[values.count / 2]
    }

    static func withGateServer(_ gate: WebGate, _ body: (UInt16) async throws -> Void) async throws {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.shutdownGracePeriod = .milliseconds(500)
        let server = gate.server(configuration: configuration, next: { _ in .text(200, "metrics\n") })
        let port = try server.start()
        do {
            try await body(port)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    /// `connections` kept-alive connections from `sources` in turn, each sending its next wrong-password request as soon as
    /// the previous one is answered, until `duration` has passed. Returns the answers by status.
    static func flood(port: UInt16, from sources: [String], connections count: Int, user: String,
                      for duration: Duration) throws -> [Int: Int] {
        let deadline = ContinuousClock.now + duration
        var statuses: [Int: Int] = [:]
        var connections = try (0..<count).map { try TestClient.connectNow(port: port, source: sources[$0 % sources.count], timeoutSeconds: 10) }
        for (index, connection) in connections.enumerated() {
            try connection.sendNow(authorizedGet("/metrics", authorization: basic(user, "guess-\(index)")))
        }
        var sent = count
        while ContinuousClock.now < deadline {
            var fds = connections.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let left = Int32(max(1, (deadline - ContinuousClock.now) / .milliseconds(1)))
            guard poll(&fds, nfds_t(fds.count), min(left, 100)) >= 0 else { throw TestFailure("poll: errno \(errno)") }
            for index in fds.indices where fds[index].revents != 0 {
                guard try connections[index].fill() else {
                    // Closed by the server: the attacker simply reconnects.
                    connections[index] = try TestClient.connectNow(port: port, source: sources[index % sources.count], timeoutSeconds: 10)
                    try connections[index].sendNow(authorizedGet("/metrics", authorization: basic(user, "guess-\(sent)")))
                    sent += 1
                    continue
                }
                while let response = try connections[index].takeResponse() {
                    statuses[response.status, default: 0] += 1
                    try connections[index].sendNow(authorizedGet("/metrics", authorization: basic(user, "guess-\(sent)")))
                    sent += 1
                }
            }
        }
        return statuses
    }

    struct FloodOutcome: Sendable {
        var latencies: [Duration]
        var statuses: [Int: Int]
        var health: Int32
    }

    /// Verifies the scraper's credentials once, then for `floodTime` floods wrong passwords from 64 kept-alive
    /// connections spread over `sources` while the scraper scrapes every 100 ms and, a second in, the
    /// `healthcheck` subcommand's probe runs.
    static func scrapeDuringFlood(port: UInt16, sources: [String], floodTime: Duration = .seconds(3)) async throws -> FloodOutcome {
        let good = basic("prometheus", "scrape-secret")
        let scraper = try TestClient.connectNow(port: port, timeoutSeconds: 10)
        let first = try await onThread { try scraper.get("/metrics", authorization: good) }
        guard first.status == 200 else { throw TestFailure("the first scrape answered \(first.status)") }

        async let flooded = onThread {
            try flood(port: port, from: sources, connections: 64, user: "prometheus", for: floodTime)
        }
        async let scrapes = onThread { () throws -> [Duration] in
            var latencies: [Duration] = []
            let end = ContinuousClock.now + floodTime - .milliseconds(300)
            Thread.sleep(forTimeInterval: 0.3)  // let the flood fill every queue it can
            while ContinuousClock.now < end {
                let start = ContinuousClock.now
                let response = try scraper.get("/metrics", authorization: good)
                guard response.status == 200 else { throw TestFailure("scrape answered \(response.status)") }
                latencies.append(ContinuousClock.now - start)
                Thread.sleep(forTimeInterval: 0.1)
            }
            return latencies
        }
        async let health = onThread { () -> Int32 in
            Thread.sleep(forTimeInterval: 1)
            return HealthCheck.probe(listenAddress: "127.0.0.1:\(port)")
        }
        return FloodOutcome(latencies: try await scrapes, statuses: try await flooded, health: await health)
    }

    @Test func aWrongPasswordFloodLeavesVerifiedScrapesAndTheHealthCheckAlone() async throws {
        let hash = try #require(Bcrypt.hash(password: Array("scrape-secret".utf8), cost: 10))
        let lateHash = try #require(Bcrypt.hash(password: Array("late-secret".utf8), cost: 10))
        // The production policy: the numbers the README states.
        let gate = WebGate(config: WebConfig(basicAuthUsers: ["prometheus": hash, "late": lateHash]))
        try await Self.withGateServer(gate) { port in
            async let outcome = Self.scrapeDuringFlood(port: port, sources: ["127.0.0.2"])
            // A first login from the scraper's address while the flood's budget is spent: not penalised by it.
            async let lateLogin = onThread { () throws -> Int in
                Thread.sleep(forTimeInterval: 1.5)
                return try TestClient.connectNow(port: port, timeoutSeconds: 10).get("/metrics", authorization: Self.basic("late", "late-secret")).status
            }
            let (latencies, statuses, health) = try await (outcome.latencies, outcome.statuses, outcome.health)
            #expect(health == 0)
            #expect(try await lateLogin == 200)
            #expect(latencies.count >= 5)
            #expect(Self.median(latencies) < .milliseconds(250), "scrape latencies under the flood: \(latencies)")
            // The flood's address had its budget (10 checks), then only 429s.
            #expect(statuses[401, default: 0] <= 10, "\(statuses)")
            #expect(statuses[429, default: 0] >= 64, "\(statuses)")
            // Held a second each: a connection retrying at once still gets about one answer a second.
            #expect(statuses[429, default: 0] <= 64 * 4, "\(statuses)")
            #expect(Set(statuses.keys).isSubset(of: [401, 429]), "\(statuses)")
            let runs = gate.bcryptRuns.load(ordering: .relaxed)
            #expect(runs <= 13, "bcrypt checks: \(runs)")
        }
    }

    @Test func aFloodFromManyAddressesMeetsTheSlowLaneBoundNotTheScrapes() async throws {
        let hash = try #require(Bcrypt.hash(password: Array("scrape-secret".utf8), cost: 10))
        let gate = WebGate(config: WebConfig(basicAuthUsers: ["prometheus": hash]))
        try await Self.withGateServer(gate) { port in
            // One address per connection: every budget is fresh, so only the slow lane's bound stands in the way.
            let sources = (1...64).map { "127.0.1.\($0)" }
            let outcome = try await Self.scrapeDuringFlood(port: port, sources: sources)
            #expect(outcome.health == 0)
            #expect(outcome.latencies.count >= 5)
            #expect(Self.median(outcome.latencies) < .milliseconds(250), "scrape latencies under the flood: \(outcome.latencies)")
            #expect(outcome.statuses[503, default: 0] >= 1, "\(outcome.statuses)")
            #expect(outcome.statuses[503, default: 0] <= 64 * 4, "\(outcome.statuses)")
            #expect(Set(outcome.statuses.keys).isSubset(of: [401, 503]), "\(outcome.statuses)")
        }
    }

    @Test func aFailedLoginCostsTheSameWhetherTheNameExistsOrNot() async throws {
        // The first name in order is the costly one, so an unknown name checked against "the first user" (as
        // before) costs 50-odd ms, while a wrong password for the cheap user cost 1 to 2.
        let costly = try #require(Bcrypt.hash(password: Array("admin-secret".utf8), cost: 10))
        let cheap = try #require(Bcrypt.hash(password: Array("zed-secret".utf8), cost: 4))
        let gate = WebGate(config: WebConfig(basicAuthUsers: ["admin": costly, "zed": cheap]),
                           throttle: .init(burst: 1000, refill: .seconds(1), maxClients: 16))
        try await Self.withGateServer(gate) { port in
            let (unknown, known, costlyKnown) = try await onThread { () throws -> ([Duration], [Duration], [Duration]) in
                let connection = try TestClient.connectNow(port: port, timeoutSeconds: 10)
                var unknown: [Duration] = [], known: [Duration] = [], costlyKnown: [Duration] = []
                func timed(_ user: String, _ password: String) throws -> Duration {
                    let start = ContinuousClock.now
                    let response = try connection.get("/metrics", authorization: Self.basic(user, password))
                    guard response.status == 401 else { throw TestFailure("\(user): \(response.status)") }
                    return ContinuousClock.now - start
                }
                for round in 0..<7 {
                    unknown.append(try timed("nobody-\(round)", "wrong"))
                    known.append(try timed("zed", "wrong-\(round)"))
                    costlyKnown.append(try timed("admin", "wrong-\(round)"))
                }
                return (unknown, known, costlyKnown)
            }
            let reference = Self.median(unknown)
            for (name, times) in [("cheap known user", known), ("costly known user", costlyKnown)] {
                let ratio = Self.median(times) / reference
                #expect(ratio > 0.6 && ratio < 1.7,
                        "\(name): median \(Self.median(times)) vs unknown name \(reference); \(times) vs \(unknown)")
            }
        }
    }
}

private extension TestClient {
    /// One request with `authorization` and its response on this kept-alive connection. Blocks.
    func get(_ target: String, authorization: String?) throws -> TestResponse {
        try sendNow(authorizedGet(target, authorization: authorization))
        return try responseNow()
    }
}

/// A kept-alive GET of `target` from 127.0.0.1, with basic credentials when given.
private func authorizedGet(_ target: String, authorization: String?) -> [UInt8] {
    var text = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if let authorization { text += "Authorization: \(authorization)\r\n" }
    return Array((text + "\r\n").utf8)
}
