import Foundation
import Glibc
import HTTPServer
import RunStatusModel
import Synchronization
import Testing
@testable import RunStatusExporter

/// A vendor answering 64 MiB must cost the exporter no more than the configured bound: the fetcher gives up
/// once past it, classified `too_large`, whether or not the size was announced.
@Suite(.timeLimit(.minutes(1))) struct ResponseBoundTests {
    static let size = 64 << 20
    static let bound = 1 << 20

    @Test func anAnnounced64MiBBodyIsTooLargeAndNotRead() async throws {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: Self.size)
        let server = HTTPServer(configuration: HTTPServerConfiguration()) { _ in HTTPResponse(status: 200, body: body) }
        let port = try server.start()
        let result = await URLSessionFetcher().get(URL(string: "http://127.0.0.1:\(port)/runs/1")!, headers: [:],
                                                   timeout: 20, maxBodyBytes: Self.bound)
        guard case .failure(let error) = result else { Issue.record("a 64 MiB body was accepted"); await server.shutdown(); return }
        #expect(error.reason == .tooLarge)
        // Refused on its Content-Length, before a byte of the body is kept. But FoundationNetworking leaves the
        // cancelled transfer's connection open, unread, until the vendor's own write timeout: a known defect
        // (see the README's "Limits" section), recorded here so that a fix shows up as this known issue vanishing.
        await withKnownIssue("URLSession on Linux keeps a cancelled transfer's connection open") {
            #expect(await eventuallyTrue(seconds: 3) { server.counters.abortedResponses == 1 }, "\(server.counters)")
        }
        await server.shutdown()
    }

    @Test func anUnannounced64MiBBodyIsCutAtTheBound() async throws {
        let streamer = try Streamer(total: Self.size)
        let result = await URLSessionFetcher().get(URL(string: "http://127.0.0.1:\(streamer.port)/runs/1")!, headers: [:],
                                                   timeout: 20, maxBodyBytes: Self.bound)
        guard case .failure(let error) = result else { Issue.record("a 64 MiB body was accepted"); return }
        #expect(error.reason == .tooLarge)
        let sent = await streamer.finish()
        #expect(sent > Self.bound)
        // The fetcher keeps no byte past the bound, but libcurl under FoundationNetworking reads on at network
        // speed and queues every chunk for the delegate, which only then drops it: on loopback the whole 64 MiB
        // can cross and pass through memory (measured once: resident memory +79 MB; how much depends on timing). A known defect (README,
        // "Limits"); the fix is a transport whose write callback can refuse data (libcurl directly).
        withKnownIssue("FoundationNetworking reads a cancelled body to the end", isIntermittent: true) {
            #expect(sent < Self.size / 2, "the server sent \(sent) bytes")
        }
    }
}

private func eventuallyTrue(seconds: Int = 10, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// A one-connection server on its own thread that answers without `Content-Length` (the body ends when the
/// connection closes) and streams `total` bytes, counting what the client took before leaving.
private final class Streamer: Sendable {
    let port: UInt16
    private let listener: Int32
    private let sent = Mutex<Int?>(nil)

    init(total: Int) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 4) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard ok else { close(listener); throw TestError("streamer: bind failed, errno \(errno)") }
        port = UInt16(bigEndian: address.sin_port)
        let fd = listener
        Thread { [self] in
            let client = accept(fd, nil, nil)
            guard client >= 0 else { sent.withLock { $0 = 0 }; return }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var request = [UInt8](repeating: 0, count: 4096)
            _ = recv(client, &request, request.count, 0)
            let head = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n".utf8)
            _ = send(client, head, head.count, Int32(MSG_NOSIGNAL))
            let chunk = [UInt8](repeating: UInt8(ascii: " "), count: 64 * 1024)
            var count = 0
            while count < total {
                let n = send(client, chunk, chunk.count, Int32(MSG_NOSIGNAL))
                if n <= 0 { break }
                count += n
            }
            close(client)
            sent.withLock { $0 = count }
        }.start()
    }

    /// Bytes accepted by the kernel for the client before it went away (or all of them).
    func finish() async -> Int {
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if let value = sent.withLock({ $0 }) { close(listener); return value }
            try? await Task.sleep(for: .milliseconds(20))
        }
        close(listener)
        return Int.max
    }
}
