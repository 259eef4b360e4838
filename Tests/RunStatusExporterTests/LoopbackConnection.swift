import Foundation
import Glibc
import TestSupport

/// A kept-alive loopback connection for the basic-auth load tests, optionally from another loopback source address
/// (127.0.0.2) so that a flood and a scraper count as different clients. Blocking, with a timeout on every call:
/// use it from a thread of its own, never from a Swift task.
final class LoopbackConnection: @unchecked Sendable {  // used by one thread at a time
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: UInt16, from source: String? = nil, timeoutSeconds: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if let source {
            guard Self.withAddress(source, port: 0, { bind(fd, $0, $1) }) == 0 else {
                close(fd)
                throw TestFailure("bind \(source): errno \(errno)")
            }
        }
        guard Self.withAddress("127.0.0.1", port: port, { connect(fd, $0, $1) }) == 0 else {
            close(fd)
            throw TestFailure("connect 127.0.0.1:\(port): errno \(errno)")
        }
    }

    deinit { close(fd) }

    static func withAddress(_ host: String, port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    static func request(_ target: String, authorization: String?) -> [UInt8] {
        var text = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if let authorization { text += "Authorization: \(authorization)\r\n" }
        return Array((text + "\r\n").utf8)
    }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestFailure("send: errno \(errno)") }
            sent += n
        }
    }

    /// One request and its response on this connection: (status, headers, body).
    func get(_ target: String, authorization: String?) throws -> RawResponse {
        try send(Self.request(target, authorization: authorization))
        while true {
            if let response = takeResponse() { return response }
            guard try fill() else { throw TestFailure("connection closed before a whole response") }
        }
    }

    /// Reads what is there (blocking until something is, or the timeout); false at the end of input.
    func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { return false }
        guard n > 0 else { throw TestFailure("recv: errno \(errno)") }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    /// A whole response from the front of what was read, if one is there (bodies by Content-Length).
    func takeResponse() -> RawResponse? {
        guard let end = buffer.indices.dropLast(3).first(where: {
            buffer[$0] == 13 && buffer[$0 + 1] == 10 && buffer[$0 + 2] == 13 && buffer[$0 + 3] == 10
        }) else { return nil }
        let lines = String(decoding: buffer[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let headers = lines.dropFirst().map { line -> (name: String, value: String) in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        }
        let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        guard buffer.count >= end + 4 + length else { return nil }
        let status = lines[0].split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        let body = Array(buffer[(end + 4)..<(end + 4 + length)])
        buffer.removeFirst(end + 4 + length)
        return RawResponse(status: status, headers: headers, body: body)
    }
}
