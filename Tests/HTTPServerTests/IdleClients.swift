import Glibc
import TestSupport
@testable import HTTPServer

/// Many loopback connections from one source address, each answered once and then left idle (kept alive), as a
/// client hoarding connections would. Raw descriptors, opened and read on one thread, in batches so the listen
/// backlog never overflows (a dropped SYN costs a second's retry). Closed on `close()` or deinit.
final class IdleClients: @unchecked Sendable {  // used by one thread at a time: the test awaits each call
    private(set) var fds: [Int32] = []
    /// Responses received, by status.
    private(set) var statuses: [Int: Int] = [:]
    private var closed: Set<Int32> = []

    /// `requests(i)` is what connection `i` sends; each must get a complete response. `batch` connections are
    /// opened and sent their requests before their responses are read: with 1, each connection is idle before
    /// the next one arrives.
    static func open(count: Int, port: UInt16, source: String, batch: Int = 200,
                     requests: @escaping @Sendable (Int) -> String) async throws -> IdleClients {
        try await onThread {
            let clients = IdleClients()
            do {
                try clients.open(count: count, port: port, source: source, batch: batch, requests: requests)
            } catch {
                clients.close()
                throw error
            }
            return clients
        }
    }

    private init() {}

    deinit { close() }

    func close() {
        fds.forEach { Glibc.close($0) }
        fds = []
    }

    /// How many of the connections the server has closed (end of input or reset) so far. Never waits: poll with
    /// `eventually`.
    func closedByServer() -> Int {
        var polled = fds.filter { !closed.contains($0) }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        guard poll(&polled, nfds_t(polled.count), 0) > 0 else { return closed.count }
        for entry in polled where entry.revents != 0 {
            var byte: UInt8 = 0
            if recv(entry.fd, &byte, 1, Int32(MSG_DONTWAIT)) <= 0 { closed.insert(entry.fd) }
        }
        return closed.count
    }

    private func open(count: Int, port: UInt16, source: String, batch: Int, requests: (Int) -> String) throws {
        var next = 0
        while next < count {
            let range = next..<min(count, next + batch)
            var opened: [Int32] = []
            for index in range {
                let fd = try Self.connect(port: port, source: source)
                fds.append(fd)
                opened.append(fd)
                try Self.sendAll(Array(requests(index).utf8), to: fd)
            }
            for fd in opened {
                let status = try Self.readResponse(from: fd)
                statuses[status, default: 0] += 1
            }
            next = range.upperBound
        }
    }

    private static func connect(port: UInt16, source: String) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if let failure = TestClient.bind(fd, to: source) {
            Glibc.close(fd)
            throw TestFailure(failure)
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            let code = errno
            Glibc.close(fd)
            throw TestFailure("connect from \(source): \(String(cString: strerror(code)))")
        }
        return fd
    }

    private static func sendAll(_ bytes: [UInt8], to fd: Int32) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw TestFailure("send: \(String(cString: strerror(errno)))") }
            offset += count
        }
    }

    /// Reads one small response whole (head and `Content-Length` body); returns its status.
    private static func readResponse(from fd: Int32) throws -> Int {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let text = String(decoding: buffer, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound]
                let length = head.split(separator: "\r\n")
                    .first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingASCIIWhitespace) } ?? 0
                if text.utf8.distance(from: text.utf8.startIndex, to: end.upperBound) + length <= buffer.count {
                    guard let status = Int(head.split(separator: " ").dropFirst().first ?? "") else {
                        throw TestFailure("bad status line: \(head.prefix(40))")
                    }
                    return status
                }
            }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw TestFailure("recv: connection ended or \(String(cString: strerror(errno)))") }
            buffer.append(contentsOf: chunk[0..<count])
        }
    }
}
