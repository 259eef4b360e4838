import Foundation
import Glibc

/// A response as a client sees it, bytes untouched (URLSession would decode gzip on its own).
public struct TestResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var text: String { String(decoding: body, as: UTF8.self) }

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// The tests' one raw HTTP/1.1 client on loopback, with a timeout on every call, so a broken server fails a test
/// instead of hanging it. Its async calls each block on a thread of their own (`onThread`) and the test awaits
/// them: expectations stay in the test's own context, and the cooperative pool is never blocked. The `…Now`
/// calls block the caller: for code that already runs on a thread of its own (a flood, a timed loop).
public final class TestClient: @unchecked Sendable {  // used by one thread at a time: the test awaits each call
    public let fd: Int32
    private var buffer: [UInt8] = []
    private var isClosed = false

    /// `receiveBuffer` shrinks SO_RCVBUF, so a large response cannot sit whole in kernel buffers. `source` binds
    /// the client to another IPv4 loopback address (all of 127.0.0.0/8 is loopback), to appear as another client.
    public static func connect(port: UInt16, host: String = "127.0.0.1", source: String? = nil,
                               receiveBuffer: Int32? = nil) async throws -> TestClient {
        try await onThread { try TestClient(port: port, host: host, source: source, receiveBuffer: receiveBuffer) }
    }

    /// `connect` on the caller's thread; `timeoutSeconds` bounds every later send and receive.
    public static func connectNow(port: UInt16, host: String = "127.0.0.1", source: String? = nil,
                                  timeoutSeconds: Int = 5) throws -> TestClient {
        try TestClient(port: port, host: host, source: source, receiveBuffer: nil, timeoutSeconds: timeoutSeconds)
    }

    /// One request with `Connection: close` on a fresh connection, the response read to the end of input (so a
    /// body without `Content-Length` is whole too).
    public static func request(port: UInt16, _ target: String, method: String = "GET", headers: [(String, String)] = [],
                               body: String = "") async throws -> TestResponse {
        try await onThread {
            let client = try TestClient(port: port, host: "127.0.0.1", receiveBuffer: nil, timeoutSeconds: 15)
            defer { client.close() }
            var request = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
            for (name, value) in headers { request += "\(name): \(value)\r\n" }
            if !body.isEmpty { request += "Content-Length: \(body.utf8.count)\r\n" }
            try client.sendNow(Array((request + "\r\n" + body).utf8))
            while try client.fill() {}
            guard let end = Self.find([13, 10, 13, 10], in: client.buffer) else {
                throw TestFailure("no response head in \(client.buffer.count) bytes")
            }
            var response = try Self.head(client.buffer[0..<end])
            response.body = Array(client.buffer[(end + 4)...])
            return response
        }
    }

    private init(port: UInt16, host: String, source: String? = nil, receiveBuffer: Int32?, timeoutSeconds: Int = 5) throws {
        let ipv6 = host.contains(":")
        // Close-on-exec: the suite spawns programs (promtool, prometheus, the exporter) from other threads; a
        // child inheriting this socket would keep it open after `close()`, and the server would never see the
        // client leave.
        fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        // A throw below runs deinit (every property is set by then): failures go through `close()`, which closes
        // once, or deinit would close the number again after another thread reused it.
        guard fd >= 0 else {
            isClosed = true
            throw TestFailure("socket: \(String(cString: strerror(errno)))")
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        if let source, let failure = Self.bind(fd, to: source) {
            close()
            throw TestFailure(failure)
        }
        var status: Int32
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            status = Self.connect(fd, to: &address)
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            status = Self.connect(fd, to: &address)
        }
        guard status == 0 else {
            let code = errno
            close()
            throw TestFailure("connect \(host):\(port): \(String(cString: strerror(code)))")
        }
    }

    deinit { if !isClosed { Glibc.close(fd) } }

    /// `connect(2)` with an IPv4 or IPv6 address, whose size is the address type's.
    private static func connect<Address>(_ fd: Int32, to address: inout Address) -> Int32 {
        withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<Address>.size))
            }
        }
    }

    /// Binds an IPv4 socket to `source` with any port; nil when done, else why not.
    static func bind(_ fd: Int32, to source: String) -> String? {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        guard inet_pton(AF_INET, source, &address.sin_addr) == 1 else { return "bad source address \(source)" }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return status == 0 ? nil : "bind \(source): \(String(cString: strerror(errno)))"
    }

    public func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) async throws {
        try await onThread { try self.sendNow(bytes) }
    }

    /// One response; `head` when it answers a HEAD request (no body follows).
    public func response(head: Bool = false) async throws -> TestResponse {
        try await onThread { try self.responseNow(head: head) }
    }

    /// True when the server closes the connection (end of input or reset) with nothing more sent.
    public func closedByPeer() async throws -> Bool {
        try await onThread { try self.buffer.isEmpty && !self.fill() && self.buffer.isEmpty }
    }

    /// Whether a response byte arrives within `milliseconds`.
    public func readable(within milliseconds: Int32) async throws -> Bool {
        await onThread {
            if !self.buffer.isEmpty { return true }
            var descriptor = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
            return poll(&descriptor, 1, milliseconds) > 0
        }
    }

    public func shutdownOutput() { shutdown(fd, Int32(SHUT_WR)) }

    /// Connects, sends `head`, then sends `drip` every `interval` until a response byte (or the end) arrives, all
    /// on one thread, so no thread hop delays the first bytes or the drips. Returns the drips sent.
    public static func connectAndDrip(port: UInt16, head: String, drip: String, interval: Int32, max: Int) async throws -> (TestClient, Int) {
        try await onThread {
            let client = try TestClient(port: port, host: "127.0.0.1", receiveBuffer: nil)
            try client.sendNow(Array(head.utf8))
            var dripped = 0
            while dripped < max {
                var descriptor = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
                if poll(&descriptor, 1, interval) > 0 { break }
                try? client.sendNow(Array(drip.utf8))
                dripped += 1
            }
            return (client, dripped)
        }
    }

    /// Connects and sends `text` on one thread, so the request arrives right after the connection.
    public static func connect(port: UInt16, sending text: String) async throws -> TestClient {
        try await onThread {
            let client = try TestClient(port: port, host: "127.0.0.1", receiveBuffer: nil)
            try client.sendNow(Array(text.utf8))
            return client
        }
    }

    /// Closes now; with input unread, the kernel answers the server with a reset.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
    }

    public func sendNow(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw TestFailure("send: \(String(cString: strerror(errno)))") }
            offset += count
        }
    }

    /// More bytes into the buffer (blocking until some arrive, or the timeout); false at end of input or a reset.
    public func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count < 0 {
            let code = errno
            if code == ECONNRESET { return false }
            throw TestFailure("recv: \(String(cString: strerror(code)))")
        }
        buffer.append(contentsOf: chunk[0..<count])
        return count > 0
    }

    /// One response, reading until it is whole; `head` when it answers a HEAD request (no body follows).
    public func responseNow(head: Bool = false) throws -> TestResponse {
        while true {
            if let response = try takeResponse(head: head) { return response }
            guard try fill() else {
                if Self.find([13, 10, 13, 10], in: buffer) == nil {
                    throw TestFailure("connection closed before a response head (\(buffer.count) bytes)")
                }
                throw TestFailure("connection closed inside a body (\(buffer.count) bytes after the head's start)")
            }
        }
    }

    /// A whole response from the front of what was read, if one is there (bodies by `Content-Length`); never
    /// reads. For a loop that polls many clients and `fill`s the readable ones.
    public func takeResponse(head: Bool = false) throws -> TestResponse? {
        guard let end = Self.find([13, 10, 13, 10], in: buffer) else { return nil }
        var response = try Self.head(buffer[0..<end])
        let length = head ? 0 : Int(response.header("Content-Length") ?? "0") ?? 0
        guard buffer.count >= end + 4 + length else { return nil }
        response.body = Array(buffer[(end + 4)..<(end + 4 + length)])
        buffer.removeFirst(end + 4 + length)
        return response
    }

    /// Status and headers from a response head (without its blank line).
    private static func head(_ bytes: ArraySlice<UInt8>) throws -> TestResponse {
        let headText = String(decoding: bytes, as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw TestFailure("bad status line in \(headText)")
        }
        let headers = lines.map { line -> (name: String, value: String) in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1].drop(while: { $0 == " " })) : "")
        }
        return TestResponse(status: status, headers: headers, body: [])
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if Array(haystack[index..<(index + needle.count)]) == needle { return index }
        }
        return nil
    }
}

