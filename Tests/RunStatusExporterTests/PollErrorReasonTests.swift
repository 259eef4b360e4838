import Foundation
import Glibc
import HTTPServer
import RunStatusModel
import Synchronization
import TestSupport
import Testing
@testable import Configuration
@testable import CurlTransport
@testable import Logging
@testable import Polling
@testable import RunStatusExporter
@testable import RunStore
@testable import Serving

/// Each failure counts under the reason that tells the operator what to fix, through the whole chain: the libcurl
/// fetcher against a loopback peer, the adapter, the poller, the store's counter.
@Suite(.timeLimit(.minutes(1))) struct PollErrorReasonTests {
    /// One poll cycle of a Nexio target at `url`; the reasons counted, by label.
    static func countedReasons(url: String) async -> [String: UInt64] {
        let target = TargetConfig(name: "nx", vendor: .nexio, url: url, runs: [RunConfig(id: "r1")],
                                  pollInterval: 30, terminalPollInterval: 600, timeout: 10)
        let config = ExporterConfig(targets: [target])
        let store = MetricsStore(config: config)
        let poller = Poller(store: store, fetcher: CurlFetcher(), logger: LogCapture().logger)
        _ = await poller.cycle(target, config: config, limiter: ConcurrencyLimiter(limit: 1))
        let errors = store.snapshot().targets[0].errors
        var out: [String: UInt64] = [:]
        for (i, reason) in PollErrorReason.allCases.enumerated() where errors[i] > 0 { out[reason.rawValue] = errors[i] }
        return out
    }

    @Test func aOneMiBHeaderLineIsTooLarge() async throws {
        let line = "X-Huge: " + String(repeating: "h", count: 1 << 20) + "\r\n"
        let peer = try RawPeer(answer: Array(("HTTP/1.1 200 OK\r\n" + line + "Content-Length: 2\r\n\r\n{}").utf8))
        defer { peer.close() }
        #expect(await Self.countedReasons(url: "http://127.0.0.1:\(peer.port)") == ["too_large": 1])
    }

    @Test func anAnswerThatIsNotHTTPIsProtocol() async throws {
        let peer = try RawPeer(answer: Array("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\nProtocol mismatch.\n".utf8))
        defer { peer.close() }
        #expect(await Self.countedReasons(url: "http://127.0.0.1:\(peer.port)") == ["protocol": 1])
    }

    @Test func aRedirectToAnotherOriginIsRedirect() async throws {
        let elsewhere = HTTPServer(configuration: HTTPServerConfiguration()) { _ in HTTPResponse(status: 200, body: Array("{}".utf8)) }
        let otherPort = try elsewhere.start()
        let server = HTTPServer(configuration: HTTPServerConfiguration()) { _ in
            HTTPResponse(status: 302, headers: [(name: "Location", value: "http://127.0.0.1:\(otherPort)/api/v1/runs/r1")])
        }
        let port = try server.start()
        #expect(await Self.countedReasons(url: "http://127.0.0.1:\(port)") == ["redirect": 1])
        #expect(elsewhere.counters.requests == 0)
        await server.shutdown()
        await elsewhere.shutdown()
    }
}

/// A loopback peer on its own thread that answers every connection with the same raw bytes, whatever was asked,
/// then closes it.
private final class RawPeer: Sendable {
    let port: UInt16
    private let listener: Int32

    init(answer: [UInt8]) throws {
        let (listener, port) = try LoopbackPort.bind(listening: 8)
        self.listener = listener
        self.port = port
        Thread {
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }  // the listener was shut down
                var timeout = timeval(tv_sec: 10, tv_usec: 0)
                setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var request = [UInt8](repeating: 0, count: 4096)
                _ = recv(client, &request, request.count, 0)
                var sent = 0
                while sent < answer.count {
                    let n = answer[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if n <= 0 { break }
                    sent += n
                }
                Glibc.close(client)
            }
        }.start()
    }

    /// Wakes the accepting thread (accept fails) and releases the port.
    func close() {
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
    }
}
