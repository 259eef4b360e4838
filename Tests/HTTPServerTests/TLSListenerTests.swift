import ChildProcesses
import Dispatch
import Foundation
import Glibc
import Testing
import TestSupport
import TLS
@testable import HTTPServer

/// HTTPS on the listener, checked with the real `curl` and `openssl s_client` against certificates made by
/// `openssl`: versions, ALPN, client certificates, and what a bad handshake costs.
@Suite(.requires(.openssl, .curl), .timeLimit(.minutes(2)))
struct TLSListenerTests {
    static let hello: HTTPServer.Handler = { request in .text(200, "hello \(request.target)") }

    @Test func curlScrapesOverHTTPSOnOneKeptAliveConnection() async throws {
        try await withCertificates { certificates in
            try await withTLSServer(certificates) { server, port in
                let (status, output) = try await curl(["--cacert", certificates.caCertificate,
                                                       "https://127.0.0.1:\(port)/a", "https://127.0.0.1:\(port)/b"])
                #expect(status == 0, "\(output)")
                #expect(output.contains("hello /a 200 1.1"))
                #expect(output.contains("hello /b 200 1.1"))
                #expect(server.counters.tlsHandshakes == 1)
                #expect(server.counters.requests == 2)
            }
        }
    }

    @Test func negotiatesALPNAndTLS13AndRefusesTLS11ByDefault() async throws {
        try await withCertificates { certificates in
            try await withTLSServer(certificates) { server, port in
                let alpn = try await sClient(port: port, ["-alpn", "h2,http/1.1", "-CAfile", certificates.caCertificate])
                #expect(alpn.output.contains("ALPN protocol: http/1.1"), "\(alpn.output)")
                #expect(alpn.output.contains("Verify return code: 0 (ok)"))

                let tls13 = try await sClient(port: port, ["-tls1_3"])
                #expect(tls13.status == 0)
                #expect(tls13.output.contains("TLSv1.3"), "\(tls13.output)")
                let tls12 = try await sClient(port: port, ["-tls1_2"])
                #expect(tls12.output.contains("Protocol  : TLSv1.2") || tls12.output.contains("TLSv1.2"), "\(tls12.output)")
                // Go's order, the server's choice: AES-128-GCM, though OpenSSL's client lists AES-256 first.
                #expect(tls13.output.contains("Cipher is TLS_AES_128_GCM_SHA256"), "\(tls13.output)")
                #expect(tls12.output.contains("Cipher is ECDHE-ECDSA-AES128-GCM-SHA256")
                        || tls12.output.contains("Cipher is ECDHE-RSA-AES128-GCM-SHA256"), "\(tls12.output)")

                // The client allows TLS 1.1 (security level 0): the refusal is the server's.
                let failuresBefore = server.counters.tlsHandshakeFailures
                let tls11 = try await sClient(port: port, ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"])
                #expect(tls11.status != 0)
                #expect(tls11.output.contains("protocol version") || tls11.output.contains("no protocols available"),
                        "\(tls11.output)")
                #expect(await eventually { server.counters.tlsHandshakeFailures > failuresBefore })

                // Only HTTP/1.1 is spoken: a client offering h2 alone is refused.
                let h2 = try await sClient(port: port, ["-alpn", "h2"])
                #expect(h2.status != 0 || !h2.output.contains("ALPN protocol: h2"), "\(h2.output)")
            }
        }
    }

    @Test func mutualTLSRequiresAClientCertificateFromTheClientCA() async throws {
        try await withCertificates { certificates in
            try await withTLSServer(certificates, {
                $0.clientAuth = .requireAndVerifyClientCert
                $0.clientCAFile = certificates.caCertificate
            }) { server, port in
                let url = "https://127.0.0.1:\(port)/metrics"
                let none = try await curl(["--cacert", certificates.caCertificate, url])
                #expect(none.status != 0, "\(none.output)")
                let rogue = try await curl(["--cacert", certificates.caCertificate, "--cert", certificates.rogueCertificate,
                                            "--key", certificates.rogueKey, url])
                #expect(rogue.status != 0, "\(rogue.output)")
                let good = try await curl(["--cacert", certificates.caCertificate, "--cert", certificates.clientCertificate,
                                           "--key", certificates.clientKey, url])
                #expect(good.status == 0, "\(good.output)")
                #expect(good.output.contains("hello /metrics 200 1.1"))
                #expect(await eventually { server.counters.tlsHandshakeFailures >= 1 })
            }
        }
    }

    @Test func clientAllowedSANsNarrowTheVerifiedCertificates() async throws {
        try await withCertificates { certificates in
            try await withTLSServer(certificates, {
                $0.clientAuth = .requireAndVerifyClientCert
                $0.clientCAFile = certificates.caCertificate
                $0.clientAllowedSANs = ["prometheus.example"]
            }) { _, port in
                let url = "https://127.0.0.1:\(port)/"
                let other = try await curl(["--cacert", certificates.caCertificate, "--cert", certificates.otherClientCertificate,
                                            "--key", certificates.otherClientKey, url])
                #expect(other.status != 0, "\(other.output)")
                let allowed = try await curl(["--cacert", certificates.caCertificate, "--cert", certificates.clientCertificate,
                                              "--key", certificates.clientKey, url])
                #expect(allowed.status == 0, "\(allowed.output)")
            }
        }
    }

    @Test func plainHTTPOnTheTLSPortCostsOneConnection() async throws {
        try await withCertificates { certificates in
            try await withTLSServer(certificates) { server, port in
                let plain = try await TestClient.connect(port: port)
                try await plain.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try await plain.closedByPeer())
                plain.close()
                #expect(server.counters.tlsHandshakeFailures == 1)
                #expect(server.counters.requests == 0)
                let after = try await curl(["--cacert", certificates.caCertificate, "https://127.0.0.1:\(port)/"])
                #expect(after.status == 0, "\(after.output)")
            }
        }
    }

    @Test func garbageAndStalledHandshakesCostTheirConnectionsOnly() async throws {
        try await withCertificates { certificates in
            // The head timeout closes the stalled handshake; long enough that the noisy one's bytes are read and
            // refused first even on a loaded machine.
            try await withTLSServer(certificates, configure: { $0.headTimeout = .seconds(3) }) { server, port in
                // A TLS record header announcing a handshake, then noise.
                var generator = SystemRandomNumberGenerator()
                let garbage = [0x16, 0x03, 0x01, 0x00, 0x40] + (0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let noisy = try await TestClient.connect(port: port)
                try await noisy.send(garbage)
                // Half a ClientHello, then nothing: closed at the head timeout like a slowloris head.
                let stalled = try await TestClient.connect(port: port)
                try await stalled.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])

                let during = try await curl(["--cacert", certificates.caCertificate, "https://127.0.0.1:\(port)/"])
                #expect(during.status == 0, "\(during.output)")
                // At most an alert, then the end.
                #expect(await onThread { noisy.closedAfterAtMost(bytes: 64, withinSeconds: 15) })
                #expect(await onThread { stalled.closedAfterAtMost(bytes: 64, withinSeconds: 15) })
                #expect(await eventually { server.counters.openConnections == 0 })
                #expect(server.counters.tlsHandshakes == 1)
                #expect(server.counters.tlsHandshakeFailures == 1)  // the stalled one timed out instead
            }
        }
    }

    /// Two requests in two records at once, and a 2 MiB response written record by record as a slowly reading
    /// client makes room: pipelining and partial writes through TLS.
    @Test func pipelinedRequestsAndALargeResponseThroughTLS() async throws {
        let large = [UInt8](repeating: UInt8(ascii: "x"), count: 2 << 20)
        try await withCertificates { certificates in
            try await withTLSServer(certificates, handler: { request in
                request.target == "/large" ? HTTPResponse(status: 200, body: large) : .text(200, "hello \(request.target)")
            }) { server, port in
                let received: [UInt8] = try await onThread {
                    let connection = try TestClient.connectNow(port: port)
                    var timeout = timeval(tv_sec: 10, tv_usec: 0)
                    setsockopt(connection.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                    let session = try TLSClientContext().session(fd: connection.fd, serverName: "localhost")
                    guard session.handshake() == .done(0) else { throw TestFailure("handshake failed") }
                    for target in ["/one", "/large"] {
                        let request = Array("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
                        guard request.withUnsafeBytes({ session.write($0) }) == .done(request.count) else { throw TestFailure("write failed") }
                    }
                    var received: [UInt8] = []
                    var chunk = [UInt8](repeating: 0, count: 4096)
                    while received.count < large.count + 150 {  // both heads and the short body are longer than that
                        guard case .done(let count) = chunk.withUnsafeMutableBytes({ session.read(into: $0) }) else { break }
                        received.append(contentsOf: chunk[0..<count])
                        if received.count < 64 * 1024 { usleep(1000) }  // slow at first: the server's writes fill the socket
                    }
                    return received
                }
                let text = String(decoding: received.prefix(200), as: UTF8.self)
                #expect(text.hasPrefix("HTTP/1.1 200 OK"), "\(text)")
                #expect(text.contains("hello /one"))
                #expect(received.count > large.count)
                #expect(received.suffix(1000).allSatisfy { $0 == UInt8(ascii: "x") })
                #expect(server.counters.requests == 2)
            }
        }
    }

    /// The head shares its record with the start of the body: every body byte arrives once and in order, for bodies
    /// shorter than a record, just over one with the head, and of many records, read slowly so writes are retried.
    @Test(arguments: [100, 16_000, 16_384, 100_003])
    func bodiesArriveWholeAfterAHeadSharingTheirFirstRecord(size: Int) async throws {
        let body = (0..<size).map { UInt8(truncatingIfNeeded: $0 % 251) }
        try await withCertificates { certificates in
            try await withTLSServer(certificates, handler: { _ in HTTPResponse(status: 200, body: body) }) { _, port in
                let received: [UInt8] = try await onThread {
                    let connection = try TestClient.connectNow(port: port)
                    var timeout = timeval(tv_sec: 10, tv_usec: 0)
                    setsockopt(connection.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                    var small: Int32 = 4096  // a small receive buffer: the server's writes fill it and are retried
                    setsockopt(connection.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
                    let session = try TLSClientContext().session(fd: connection.fd, serverName: "localhost")
                    guard session.handshake() == .done(0) else { throw TestFailure("handshake failed") }
                    let request = Array("GET /body HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
                    guard request.withUnsafeBytes({ session.write($0) }) == .done(request.count) else { throw TestFailure("write failed") }
                    var received: [UInt8] = []
                    var chunk = [UInt8](repeating: 0, count: 4096)
                    while true {
                        if let end = received.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound, received.count >= end + size { break }
                        guard case .done(let count) = chunk.withUnsafeMutableBytes({ session.read(into: $0) }) else { break }
                        received.append(contentsOf: chunk[0..<count])
                        usleep(200)
                    }
                    return received
                }
                let end = try #require(received.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound, "no head in \(received.count) bytes")
                let head = String(decoding: received[..<end], as: UTF8.self)
                #expect(head.hasPrefix("HTTP/1.1 200 OK") && head.contains("Content-Length: \(size)\r\n"), "\(head)")
                #expect(received.count == end + size, "\(received.count - end) body bytes for \(size)")
                let firstDifference = zip(received[end...], body).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                #expect(firstDifference == nil, "the body differs from what was sent from byte \(firstDifference ?? -1) on")
            }
        }
    }

    /// More clients at once than handshakes may run: the rest wait their turn, and every one is served.
    @Test func aBurstBeyondTheHandshakeLimitIsServedInTurn() async throws {
        try await withCertificates { certificates in
            try await withTLSServer(certificates, configure: { $0.maxConcurrentHandshakes = 2 }) { server, port in
                let urls = (0..<24).map { "https://127.0.0.1:\(port)/\($0)" }
                let (status, output) = try await curl(["--cacert", certificates.caCertificate, "--parallel",
                                                       "--parallel-immediate", "--parallel-max", "24"] + urls)
                #expect(status == 0, "\(output)")
                #expect(output.components(separatedBy: " 200 1.1").count - 1 == 24, "\(output)")
                #expect(server.counters.tlsHandshakesQueued > 0, "no connection waited: the burst did not test the limit")
                #expect(server.counters.tlsHandshakeFailures == 0)
            }
        }
    }

    /// Handshakes that stall (half a ClientHello, then nothing), two from each of 40 addresses, hold every slot:
    /// a scraper waits `handshakePatience` at most, then starts past the limit, and no staller is closed for it.
    /// (Had stalled handshakes to give way instead, by turns across addresses, the scraper would wait behind all 40.)
    @Test func stallersFromManyAddressesDelayAScrapeByThePatienceAtMost() async throws {
        try await withCertificates { certificates in
            try await withTLSServer(certificates, configure: {
                $0.maxConcurrentHandshakes = 2
                $0.handshakePatience = .milliseconds(300)
                $0.headTimeout = .seconds(60)
            }) { server, port in
                var stallers: [TestClient] = []
                for address in 1...40 {
                    for _ in 0..<2 {
                        let staller = try await TestClient.connect(port: port, source: "127.0.1.\(address)")
                        try await staller.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])
                        stallers.append(staller)
                    }
                }
                #expect(await eventually { server.counters.openConnections == 80 })
                let (status, output) = try await curl(["--cacert", certificates.caCertificate, "--max-time", "5",
                                                       "https://127.0.0.1:\(port)/"])
                #expect(status == 0 && output.hasSuffix(" 200 1.1\n"), "\(output)")
                #expect(server.counters.tlsHandshakesQueued >= 79)
                #expect(server.counters.tlsHandshakeFailures == 0, "a staller was closed to make room")
                #expect(server.counters.openConnections == 80 || server.counters.openConnections == 81)
                withExtendedLifetime(stallers) {}
            }
        }
    }

    /// Records wait in one buffer per listener thread until sent; what a full socket does not take moves to its own
    /// connection. Two readers that fall behind, read in turn, each get exactly their own bytes.
    @Test func twoSlowReadersEachGetTheirOwnBytes() async throws {
        let size = 6 << 20  // more than the kernel lets a socket buffer hold (4 MB): the server finds it full
        @Sendable func body(_ target: String) -> [UInt8] {
            let seed = UInt8(truncatingIfNeeded: target.utf8.last ?? 0)
            return (0..<size).map { UInt8(truncatingIfNeeded: $0 % 241) &+ seed }
        }
        try await withCertificates { certificates in
            try await withTLSServer(certificates, handler: { HTTPResponse(status: 200, body: body($0.target)) }) { _, port in
                let received: [[UInt8]] = try await onThread {
                    var sessions: [(TestClient, TLSSession)] = []
                    for target in ["/a", "/b"] {
                        let connection = try TestClient.connectNow(port: port)
                        var timeout = timeval(tv_sec: 10, tv_usec: 0)
                        setsockopt(connection.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                        var small: Int32 = 64 * 1024  // the server's sends soon find the socket full
                        setsockopt(connection.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
                        let session = try TLSClientContext().session(fd: connection.fd, serverName: "localhost")
                        guard session.handshake() == .done(0) else { throw TestFailure("handshake failed") }
                        let request = Array("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
                        guard request.withUnsafeBytes({ session.write($0) }) == .done(request.count) else { throw TestFailure("write failed") }
                        sessions.append((connection, session))
                    }
                    var received: [[UInt8]] = [[], []]
                    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
                    func complete(_ bytes: [UInt8]) -> Bool {
                        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound else { return false }
                        return bytes.count >= end + size
                    }
                    while !received.allSatisfy(complete) {
                        for index in sessions.indices where !complete(received[index]) {
                            guard case .done(let count) = chunk.withUnsafeMutableBytes({ sessions[index].1.read(into: $0) }) else {
                                throw TestFailure("connection \(index) ended after \(received[index].count) bytes")
                            }
                            received[index].append(contentsOf: chunk[0..<count])
                        }
                    }
                    return received
                }
                for (index, target) in ["/a", "/b"].enumerated() {
                    let end = try #require(received[index].firstRange(of: Array("\r\n\r\n".utf8))?.upperBound)
                    #expect(Array(received[index][end...]) == body(target), "\(target): the body differs from its own")
                }
            }
        }
    }

    /// A client gone mid-response (a reset while megabytes are still to send) must cost its connection, not raise
    /// SIGPIPE (which would end this test process).
    @Test func clientsLeavingMidResponseCostTheirConnectionsOnly() async throws {
        let large = [UInt8](repeating: UInt8(ascii: "x"), count: 4 << 20)
        try await withCertificates { certificates in
            try await withTLSServer(certificates, handler: { _ in HTTPResponse(status: 200, body: large) }) { server, port in
                for _ in 0..<4 {
                    try await onThread {
                        let connection = try TestClient.connectNow(port: port)
                        let session = try TLSClientContext().session(fd: connection.fd, serverName: nil)
                        guard session.handshake() == .done(0) else { throw TestFailure("handshake failed") }
                        let request = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
                        _ = request.withUnsafeBytes { session.write($0) }
                        var chunk = [UInt8](repeating: 0, count: 4096)
                        _ = chunk.withUnsafeMutableBytes { session.read(into: $0) }
                        // A reset while the server still has megabytes to send.
                        var abort = linger(l_onoff: 1, l_linger: 0)
                        setsockopt(connection.fd, SOL_SOCKET, SO_LINGER, &abort, socklen_t(MemoryLayout<linger>.size))
                    }
                }
                #expect(await eventually { server.counters.openConnections == 0 })
                let after = try await curl(["--cacert", certificates.caCertificate, "-o", "/dev/null", "https://127.0.0.1:\(port)/"])
                #expect(after.output.hasSuffix(" 200 1.1\n"), "\(after.output)")
                #expect(server.counters.abortedResponses == 4)
            }
        }
    }

    /// A head dripped through TLS meets the same head deadline as in plain HTTP: 408, sent through TLS.
    @Test func aSlowHeadThroughTLSGets408() async throws {
        try await withCertificates { certificates in
            try await withTLSServer(certificates, configure: { $0.headTimeout = .milliseconds(600) }) { server, port in
                let answer: String = try await onThread {
                    let connection = try TestClient.connectNow(port: port)
                    var timeout = timeval(tv_sec: 10, tv_usec: 0)
                    setsockopt(connection.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                    let session = try TLSClientContext().session(fd: connection.fd, serverName: nil)
                    guard session.handshake() == .done(0) else { throw TestFailure("handshake failed") }
                    let part = Array("GET /slow HTTP/1.1\r\nHost: x\r\n".utf8)
                    _ = part.withUnsafeBytes { session.write($0) }
                    var chunk = [UInt8](repeating: 0, count: 4096)
                    guard case .done(let count) = chunk.withUnsafeMutableBytes({ session.read(into: $0) }) else {
                        throw TestFailure("no answer")
                    }
                    return String(decoding: chunk[0..<count], as: UTF8.self)
                }
                #expect(answer.hasPrefix("HTTP/1.1 408 "), "\(answer)")
                #expect(server.counters.errorResponses[408] == 1)
            }
        }
    }

    /// Over the cap with every connection busy, a TLS newcomer is closed at once: no handshake is spent on it,
    /// and a plaintext 503 would be garbage to a TLS client.
    @Test func overTheCapATLSNewcomerIsClosedWithoutAnAnswer() async throws {
        let release = DispatchSemaphore(value: 0)
        try await withCertificates { certificates in
            try await withTLSServer(certificates, configure: { $0.maxConnections = 1 }, handler: { _ in
                release.wait()
                return .text(200, "done")
            }) { server, port in
                let busy = try await onThread { () throws -> ClientConnection in
                    let connection = try TestClient.connectNow(port: port)
                    let session = try TLSClientContext().session(fd: connection.fd, serverName: nil)
                    guard session.handshake() == .done(0) else { throw TestFailure("handshake failed") }
                    let request = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
                    _ = request.withUnsafeBytes { session.write($0) }
                    return ClientConnection(raw: connection, session: session)
                }
                #expect(await eventually { server.counters.requests == 1 })
                let newcomer = try await TestClient.connect(port: port)
                #expect(await onThread { newcomer.closedAfterAtMost(bytes: 0, withinSeconds: 5) })
                #expect(server.counters.rejectedOverCapacity == 1)
                release.signal()
                let answer: String = await onThread {
                    var chunk = [UInt8](repeating: 0, count: 4096)
                    guard case .done(let count) = chunk.withUnsafeMutableBytes({ busy.session.read(into: $0) }) else { return "" }
                    return String(decoding: chunk[0..<count], as: UTF8.self)
                }
                #expect(answer.hasPrefix("HTTP/1.1 200 "), "\(answer)")
            }
        }
    }

    @Test func aNewContextServesNewConnections() async throws {
        try await withCertificates { certificates in
            try await withTLSServer(certificates) { server, port in
                var settings = TLSServerSettings(certificate: .file(certificates.serverCertificate),
                                                 privateKey: .file(certificates.serverKey))
                settings.minVersion = .tls13
                #expect(server.replaceTLSContext(try TLSServerContext(settings: settings)))
                let tls12 = try await sClient(port: port, ["-tls1_2"])
                #expect(tls12.status != 0, "\(tls12.output)")
                let tls13 = try await sClient(port: port, ["-tls1_3"])
                #expect(tls13.status == 0, "\(tls13.output)")
            }
        }
    }

    @Test func refusesKeysThatDoNotMatchAndFilesThatAreNotPEM() async throws {
        try await withCertificates { certificates in
            let mismatched = TLSServerSettings(certificate: .file(certificates.serverCertificate),
                                               privateKey: .file(certificates.clientKey))
            #expect { try TLSServerContext(settings: mismatched) } throws: { error in
                (error as? TLSError)?.key == "key_file" && "\(error)".contains("does not match")
            }
            let notPEM = TLSServerSettings(certificate: .inline("not a certificate"), privateKey: .file(certificates.serverKey))
            #expect { try TLSServerContext(settings: notPEM) } throws: { error in (error as? TLSError)?.key == "cert" }
            let missing = TLSServerSettings(certificate: .file(certificates.path("absent.pem")), privateKey: .file(certificates.serverKey))
            #expect { try TLSServerContext(settings: missing) } throws: { error in
                (error as? TLSError)?.key == "cert_file" && "\(error)".contains("absent.pem")
            }
        }
    }

    // MARK: - Helpers

    /// A TLS client connection, handed between the test and the threads it blocks.
    final class ClientConnection: @unchecked Sendable {  // one thread at a time: the test awaits each call
        let raw: TestClient
        let session: TLSSession
        init(raw: TestClient, session: TLSSession) {
            self.raw = raw
            self.session = session
        }
    }

    func withCertificates(_ body: (TestCertificates) async throws -> Void) async throws {
        try await body(try await TestCertificates.make())
    }

    func withTLSServer(_ certificates: TestCertificates, _ adjust: (inout TLSServerSettings) -> Void = { _ in },
                       configure: (inout HTTPServerConfiguration) -> Void = { _ in },
                       handler: @escaping HTTPServer.Handler = TLSListenerTests.hello,
                       _ body: (HTTPServer, UInt16) async throws -> Void) async throws {
        var settings = TLSServerSettings(certificate: .file(certificates.serverCertificate),
                                         privateKey: .file(certificates.serverKey))
        adjust(&settings)
        let context = try TLSServerContext(settings: settings)
        try await withServer({ configuration in
            configuration.tls = context
            configure(&configuration)
        }, handler: handler, body)
    }

    /// curl's exit status, and the bodies each followed by ` STATUS VERSION`.
    func curl(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await SpawnedProcess.run(try Program.curl.require(), ["-sS", "--max-time", "10", "-w", " %{http_code} %{http_version}\n"]
                                     + arguments, timeout: .seconds(20))
    }

    func sClient(port: UInt16, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await SpawnedProcess.run(try Program.openssl.require(), ["s_client", "-connect", "127.0.0.1:\(port)",
                                                                 "-servername", "localhost"] + arguments,
                                     timeout: .seconds(20))
    }
}

extension TestClient {
    /// True when the peer closes (end of input or reset) within the time, having sent at most `bytes`; for bytes
    /// no HTTP or TLS client would send. Blocks: call it through `onThread`.
    func closedAfterAtMost(bytes limit: Int, withinSeconds seconds: Int) -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var received = 0
        var chunk = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 100) > 0 else { continue }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return received <= limit }
            received += count
        }
        return false
    }
}
