import Foundation
import Glibc
import TLS

/// HTTP/1.1 clients over TLS (or plain sockets, for the figure TLS is compared with), all on one thread with
/// poll(2), run in a `--tls-load` child so their handshakes and decryption are not counted as the exporter's.
/// Three loads: keep-alive clients requesting again as soon as a response is in; a new connection (and
/// handshake) per request; or connections that complete their handshake and then stay idle. Blocks.
struct TLSLoadGenerator: Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case keepAlive = "keepalive"
        case handshake
        case idle
    }

    var port: UInt16
    var kind: Kind
    var connections: Int
    var tls: Bool
    /// Ask for the body as Prometheus does (`Accept-Encoding: gzip`), or as it is.
    var gzip = false
    var path = "/metrics"

    struct Report: Codable, Sendable {
        var responses = 0
        var connected = 0
        var seconds = 0.0
        var errors = 0
        var firstError: String?
        var perSecond: Double { seconds > 0 ? Double(responses) / seconds : 0 }

        mutating func fail(_ message: String) {
            errors += 1
            if firstError == nil { firstError = message }
        }
    }

    private final class Connection {
        let fd: Int32
        let session: TLSSession?
        var handshaken: Bool
        /// Events the next step waits for.
        var waitsFor = Int16(POLLOUT)
        var requestSent = 0
        var inResponse = false
        var head: [UInt8] = []
        var remaining = 0
        var status = 0
        var done = false

        init(fd: Int32, session: TLSSession?) {
            self.fd = fd
            self.session = session
            handshaken = session == nil
        }

        deinit { Glibc.close(fd) }
    }

    /// Runs for `seconds` (keep-alive, handshake); for `idle`, until every connection completed its handshake.
    func run(seconds: Double) -> Report {
        var report = Report()
        let context: TLSClientContext?
        if tls {
            do { context = try TLSClientContext(readAhead: true) } catch {
                report.fail("TLS client context: \(error)")
                return report
            }
        } else {
            context = nil
        }
        let encoding = gzip ? "Accept-Encoding: gzip\r\n" : ""
        let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost:\(port)\r\nUser-Agent: runstatus-bench\r\n\(encoding)\r\n".utf8)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        defer { buffer.deallocate() }

        func connectOne() -> Connection? {
            switch LoadGenerator.connect(port: port) {
            case .failure(let failure):
                report.fail(failure.message)
                return nil
            case .success(let fd):
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                guard let context else { return Connection(fd: fd, session: nil) }
                do { return Connection(fd: fd, session: try context.session(fd: fd, serverName: "localhost")) } catch {
                    Glibc.close(fd)
                    report.fail("TLS session: \(error)")
                    return nil
                }
            }
        }

        let clock = ContinuousClock()
        let started = clock.now
        let end = started + .milliseconds(Int64(seconds * 1000))
        var open: [Connection] = []
        for _ in 0..<connections { if let c = connectOne() { open.append(c) } }
        var pollFDs: [pollfd] = []
        var progressed = false
        while !open.isEmpty {
            if kind == .idle {
                if open.allSatisfy(\.handshaken) { break }
            } else if clock.now >= end && open.allSatisfy({ !$0.inResponse }) {
                break
            }
            if clock.now >= end + .seconds(60) {
                report.fail("connections still busy a minute after the stop")
                break
            }
            pollFDs = open.map { pollfd(fd: $0.fd, events: $0.waitsFor, revents: 0) }
            // Without a wait when the last pass moved: OpenSSL may hold input poll(2) cannot see.
            let ready = poll(&pollFDs, nfds_t(pollFDs.count), progressed ? 0 : 50)
            if ready < 0 && errno != EINTR { report.fail("poll: \(String(cString: strerror(errno)))"); break }
            progressed = false
            var survivors: [Connection] = []
            survivors.reserveCapacity(open.count)
            for (index, c) in open.enumerated() {
                guard pollFDs[index].revents != 0 || (c.session?.hasBufferedInput ?? false) else {
                    survivors.append(c)
                    continue
                }
                switch step(c, request: request, buffer: buffer, stopping: clock.now >= end, report: &report) {
                case .waiting:
                    survivors.append(c)
                case .moved:
                    progressed = true
                    survivors.append(c)
                case .finished(let reopen):
                    progressed = true
                    if reopen, clock.now < end, let fresh = connectOne() { survivors.append(fresh) }
                }
            }
            open = survivors
        }
        report.connected = open.filter(\.handshaken).count
        report.seconds = LoadGenerator.seconds(started.duration(to: clock.now))
        if kind == .idle {
            // The idle connections stay open until the parent is done with them: hand them to the caller's lifetime.
            Self.keptOpen = open
        }
        return report
    }

    /// Held until the process ends, for `idle`.
    nonisolated(unsafe) private static var keptOpen: [AnyObject] = []

    private enum Step { case waiting, moved, finished(reopen: Bool) }

    /// Handshake, then the request, then the response, as far as the socket allows.
    private func step(_ c: Connection, request: [UInt8], buffer: UnsafeMutableRawBufferPointer, stopping: Bool,
                      report: inout Report) -> Step {
        if !c.handshaken, let session = c.session {
            switch session.handshake() {
            case .done:
                c.handshaken = true
                if kind == .idle {
                    c.waitsFor = Int16(POLLIN)
                    return .moved
                }
            case .wantRead: c.waitsFor = Int16(POLLIN); return .waiting
            case .wantWrite: c.waitsFor = Int16(POLLOUT); return .waiting
            case .closed, .failed(_):
                report.fail("handshake failed")
                return .finished(reopen: kind == .handshake)
            }
        }
        if kind == .idle { return .waiting }
        if !c.inResponse {
            if stopping { return .finished(reopen: false) }
            let progress = request.withUnsafeBytes { bytes in
                write(c, UnsafeRawBufferPointer(rebasing: bytes[c.requestSent...]))
            }
            switch progress {
            case .done(let n):
                c.requestSent += n
                guard c.requestSent == request.count else { c.waitsFor = Int16(POLLOUT); return .moved }
                c.requestSent = 0
                c.inResponse = true
                c.head.removeAll(keepingCapacity: true)
                c.remaining = -1
                c.waitsFor = Int16(POLLIN)
            case .wantWrite: c.waitsFor = Int16(POLLOUT); return .waiting
            case .wantRead: c.waitsFor = Int16(POLLIN); return .waiting
            case .closed, .failed(_):
                report.fail("the server closed the connection before the request")
                return .finished(reopen: kind == .handshake)
            }
        }
        var moved = false
        while true {
            switch read(c, into: buffer) {
            case .done(let n):
                moved = true
                var body = n
                if c.remaining < 0 {
                    let from = max(0, c.head.count - 3)
                    c.head.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                    guard let endOfHead = LoadGenerator.headEnd(c.head, from: from) else { continue }
                    guard let (status, length) = LoadGenerator.parseHead(c.head[0..<endOfHead]) else {
                        report.fail("unreadable response head")
                        return .finished(reopen: false)
                    }
                    c.status = status
                    c.remaining = length
                    body = c.head.count - (endOfHead + 4)
                    c.head = []
                }
                c.remaining -= body
                if c.remaining <= 0 {
                    c.inResponse = false
                    report.responses += 1
                    if c.status != 200 { report.fail("status \(c.status)") }
                    if kind == .handshake { return .finished(reopen: true) }
                    c.waitsFor = Int16(POLLOUT)
                    return .moved
                }
            case .wantRead:
                c.waitsFor = Int16(POLLIN)
                return moved ? .moved : .waiting
            case .wantWrite:
                c.waitsFor = Int16(POLLOUT)
                return moved ? .moved : .waiting
            case .closed, .failed(_):
                report.fail("the server closed a connection mid-response")
                return .finished(reopen: kind == .handshake)
            }
        }
    }

    private func write(_ c: Connection, _ bytes: UnsafeRawBufferPointer) -> TLSSession.Progress {
        if let session = c.session { return session.write(bytes) }
        let n = Glibc.send(c.fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
        if n >= 0 { return .done(n) }
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? .wantWrite : .failed(String(cString: strerror(errno)))
    }

    private func read(_ c: Connection, into buffer: UnsafeMutableRawBufferPointer) -> TLSSession.Progress {
        if let session = c.session { return session.read(into: buffer) }
        let n = recv(c.fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
        if n > 0 { return .done(n) }
        if n == 0 { return .closed }
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? .wantRead : .failed(String(cString: strerror(errno)))
    }
}
