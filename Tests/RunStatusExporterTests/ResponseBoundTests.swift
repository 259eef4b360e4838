import Foundation
import Glibc
import HTTPServer
import RunStatusModel
import Synchronization
import TestSupport
import Testing
@testable import CurlTransport
@testable import Polling

/// A vendor answering 64 MiB must cost the exporter no more than the configured bound: the fetcher gives up
/// once past it, classified `too_large`, whether or not the size was announced, and stops reading at once.
/// Serialized: the resident-memory checks must not see the sibling test's 64 MiB.
/// Here, not in CurlTransportTests: resident memory is the whole test process's, and in that target's place in the
/// run it met suites whose allocations broke the slack; measuring in a child process of its own would free it to move.
@Suite(.serialized, .timeLimit(.minutes(1))) struct ResponseBoundTests {
    static let size = 64 << 20
    static let bound = 1 << 20
    /// Slack over the bound for the process's peak resident memory: libcurl's buffers, the test's own
    /// allocations and whatever a suite running alongside does; far below the 64 MiB a full read would cost.
    static let memorySlack = 24 << 20

    @Test func anAnnounced64MiBBodyIsTooLargeAndNotRead() async throws {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: Self.size)
        let server = HTTPServer(configuration: HTTPServerConfiguration()) { _ in HTTPResponse(status: 200, body: body) }
        let port = try server.start()
        let result = await CurlFetcher().get(URL(string: "http://127.0.0.1:\(port)/runs/1")!, headers: [:],
                                             timeout: 20, maxBodyBytes: Self.bound)
        guard case .failure(let error) = result else { Issue.record("a 64 MiB body was accepted"); await server.shutdown(); return }
        #expect(error.reason == .tooLarge)
        #expect(error.status == 200)
        // Refused on its Content-Length, before a byte of the body is kept, and the connection closed at once:
        // the server sees its response aborted rather than waiting on its write timeout.
        #expect(await eventually(timeout: 5) { server.counters.abortedResponses == 1 }, "\(server.counters)")
        await server.shutdown()
    }

    /// Fetches the streamer's 64 MiB through the bound: the outcome, and resident memory before and at the peak.
    fileprivate static func fetchBounded(from streamer: Streamer) async -> (Result<VendorResponse, PollError>, before: Int, peak: Int) {
        ResidentMemory.resetPeak()
        let before = ResidentMemory.current()
        let result = await CurlFetcher().get(URL(string: "http://127.0.0.1:\(streamer.port)/runs/1")!, headers: [:],
                                             timeout: 20, maxBodyBytes: Self.bound)
        return (result, before, ResidentMemory.peak())
    }

    @Test func anAnnounced64MiBBodyFromAStreamIsNotRead() async throws {
        let streamer = try Streamer(total: Self.size, announce: true)
        let (result, before, peak) = await Self.fetchBounded(from: streamer)
        guard case .failure(let error) = result else { Issue.record("a 64 MiB body was accepted"); return }
        #expect(error.reason == .tooLarge)
        let sent = await streamer.finish()
        #expect(sent < Self.size / 2, "the server sent \(sent) bytes")
        #expect(peak - before < Self.bound + Self.memorySlack, "resident memory grew from \(before) to a peak of \(peak) bytes")
    }

    @Test func anUnannounced64MiBBodyIsCutAtTheBound() async throws {
        let streamer = try Streamer(total: Self.size, announce: false)
        let (result, before, peak) = await Self.fetchBounded(from: streamer)
        guard case .failure(let error) = result else { Issue.record("a 64 MiB body was accepted"); return }
        #expect(error.reason == .tooLarge)
        #expect(error.message.contains("\(Self.bound)-byte bound"))
        let sent = await streamer.finish()
        // The bound was passed, then the write callback refused the next chunk and libcurl closed the
        // connection: only what the loopback socket buffers hold beyond the bound crossed.
        #expect(sent > Self.bound)
        #expect(sent < Self.size / 2, "the server sent \(sent) bytes")
        #expect(peak - before < Self.bound + Self.memorySlack, "resident memory grew from \(before) to a peak of \(peak) bytes")
    }
}

/// The process's resident memory, from /proc/self/status; the peak (VmHWM) can be reset through clear_refs.
enum ResidentMemory {
    static func resetPeak() {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return }
        _ = write(fd, "5", 1)
        close(fd)
    }

    static func current() -> Int { field("VmRSS:") }
    static func peak() -> Int { field("VmHWM:") }

    private static func field(_ name: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) }),
              let kB = Int(line.dropFirst(name.count).filter(\.isNumber)) else { return 0 }
        return kB * 1024
    }
}

/// A one-connection server on its own thread that streams `total` bytes, announced with `Content-Length` or not
/// (then the body ends when the connection closes), counting what the client took before leaving.
private final class Streamer: Sendable {
    let port: UInt16
    private let listener: Int32
    private let sent = Mutex<Int?>(nil)

    init(total: Int, announce: Bool) throws {
        let (listener, port) = try LoopbackPort.bind(listening: 4)
        self.listener = listener
        self.port = port
        let fd = listener
        Thread { [self] in
            let client = accept(fd, nil, nil)
            guard client >= 0 else { sent.withLock { $0 = 0 }; return }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var request = [UInt8](repeating: 0, count: 4096)
            _ = recv(client, &request, request.count, 0)
            let length = announce ? "Content-Length: \(total)\r\n" : ""
            let head = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\(length)Connection: close\r\n\r\n".utf8)
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
