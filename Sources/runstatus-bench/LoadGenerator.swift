import Foundation
import Glibc
import Synchronization

/// Keep-alive HTTP/1.1 clients on raw loopback sockets, all driven by one thread with poll(2): each connection
/// sends `GET path` again as soon as it has read the previous response whole. Latency runs from the request's
/// send to its response's last byte. Bodies are counted and dropped, so the generator itself stays small
/// (its memory counts in the RSS figures of the process it runs in). Blocks: run it through `OffThread`.
struct LoadGenerator: Sendable {
    var port: UInt16
    var path = "/metrics"
    var connections = 32
    /// Extra request headers, e.g. `Accept-Encoding: gzip`.
    var headers: [String] = []

    enum Stop: Sendable {
        /// Issue requests for this long.
        case after(Duration)
        /// Issue this many requests in all.
        case requests(Int)
        /// Issue requests until the signal fires.
        case signal(StopSignal)
    }

    struct Report: Sendable {
        /// Seconds, in completion order.
        var latencies: [Double] = []
        var elapsed = 0.0
        var bodyBytes = 0
        /// Non-200 answers, refused or broken connections.
        var errors = 0
        var firstError: String?

        var responsesPerSecond: Double { elapsed > 0 ? Double(latencies.count) / elapsed : 0 }
        func percentile(_ p: Double) -> Double { Stats.percentile(latencies, p) }

        mutating func fail(_ message: String) {
            errors += 1
            if firstError == nil { firstError = message }
        }
    }

    private struct Connection {
        var fd: Int32
        var busy = false
        var sentAt = ContinuousClock.now
        var inHead = true
        var head: [UInt8] = []
        var status = 0
        var contentLength = 0
        var remaining = 0
    }

    /// Responses still in flight when the stop comes get this long to finish.
    static let grace: Duration = .seconds(60)

    func run(until stop: Stop) -> Report {
        var report = Report()
        let clock = ContinuousClock()
        let started = clock.now
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUser-Agent: runstatus-bench\r\n"
        for h in headers { request += h + "\r\n" }
        let requestBytes = Array((request + "\r\n").utf8)

        var conns: [Connection] = []
        for _ in 0..<connections {
            switch Self.connect(port: port) {
            case .success(let fd): conns.append(Connection(fd: fd))
            case .failure(let failure): report.fail(failure.message)
            }
        }
        defer { for c in conns where c.fd >= 0 { Glibc.close(c.fd) } }

        var issued = 0
        func mayIssue() -> Bool {
            switch stop {
            case .after(let d): clock.now < started + d
            case .requests(let n): issued < n
            case .signal(let s): !s.fired
            }
        }
        func issue(_ i: Int) {
            guard conns[i].fd >= 0, mayIssue() else { return }
            conns[i].sentAt = clock.now
            let sent = requestBytes.withUnsafeBytes { Glibc.send(conns[i].fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent == requestBytes.count else {
                report.fail("send: \(sent < 0 ? String(cString: strerror(errno)) : "partial")")
                Glibc.close(conns[i].fd)
                conns[i].fd = -1
                return
            }
            issued += 1
            conns[i].busy = true
            conns[i].inHead = true
            conns[i].head.removeAll(keepingCapacity: true)
        }

        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        for i in conns.indices { issue(i) }
        var graceEnd: ContinuousClock.Instant?
        var pollFDs: [pollfd] = []
        var polled: [Int] = []
        while conns.contains(where: \.busy) {
            if !mayIssue() {
                graceEnd = graceEnd ?? clock.now + Self.grace
                if clock.now >= graceEnd! {
                    report.fail("responses still in flight \(Self.grace) after the stop")
                    break
                }
            }
            pollFDs.removeAll(keepingCapacity: true)
            polled.removeAll(keepingCapacity: true)
            for i in conns.indices where conns[i].busy {
                pollFDs.append(pollfd(fd: conns[i].fd, events: Int16(POLLIN), revents: 0))
                polled.append(i)
            }
            // A short timeout so a time-based stop is noticed even while every response is slow.
            let ready = poll(&pollFDs, nfds_t(pollFDs.count), 50)
            if ready < 0 && errno != EINTR { report.fail("poll: \(String(cString: strerror(errno)))"); break }
            guard ready > 0 else { continue }
            for (k, i) in polled.enumerated() where pollFDs[k].revents != 0 {
                read(&conns[i], into: buffer, report: &report, clock: clock)
                if !conns[i].busy { issue(i) }
            }
        }
        report.elapsed = Self.seconds(started.duration(to: clock.now))
        return report
    }

    /// Reads what is there (without blocking) and advances the response; completes it when its body is in.
    private func read(_ c: inout Connection, into buffer: UnsafeMutableRawBufferPointer, report: inout Report,
                      clock: ContinuousClock) {
        for _ in 0..<8 {
            let n = recv(c.fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return }
                report.fail("recv: \(String(cString: strerror(errno)))")
                drop(&c)
                return
            }
            if n == 0 {
                report.fail("the server closed a keep-alive connection")
                drop(&c)
                return
            }
            var bodyPart = n
            if c.inHead {
                let from = max(0, c.head.count - 3)
                c.head.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                guard let end = Self.headEnd(c.head, from: from) else {
                    if c.head.count > 64 * 1024 { report.fail("response head over 64 KiB"); drop(&c) }
                    continue
                }
                guard let (status, length) = Self.parseHead(c.head[0..<end]) else {
                    report.fail("unreadable response head")
                    drop(&c)
                    return
                }
                c.status = status
                c.contentLength = length
                c.remaining = length
                c.inHead = false
                bodyPart = c.head.count - (end + 4)
                // The recv that ended the head brought up to 256 KB of body too: keeping that capacity for each of
                // 32 connections would add 8 MB to the peak RSS measured as the exporter's.
                if c.head.capacity > 16 * 1024 { c.head = [] }
            }
            c.remaining -= bodyPart
            if c.remaining <= 0 {
                report.latencies.append(Self.seconds(c.sentAt.duration(to: clock.now)))
                report.bodyBytes += c.contentLength
                if c.status != 200 { report.fail("status \(c.status)") }
                c.busy = false
                return
            }
        }
    }

    private func drop(_ c: inout Connection) {
        Glibc.close(c.fd)
        c.fd = -1
        c.busy = false
    }

    /// Index of the `\r\n\r\n` ending the head, searching from `from`.
    static func headEnd(_ bytes: [UInt8], from: Int) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var i = from
        while i + 3 < bytes.count {
            if bytes[i] == 13, bytes[i + 1] == 10, bytes[i + 2] == 13, bytes[i + 3] == 10 { return i }
            i += 1
        }
        return nil
    }

    /// Status code and Content-Length of a response head (the server always sends a length, never chunks).
    static func parseHead(_ head: ArraySlice<UInt8>) -> (Int, Int)? {
        let text = String(decoding: head, as: UTF8.self)
        let lines = text.split(separator: "\r\n")
        guard let first = lines.first else { return nil }
        let parts = first.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == "content-length" {
                return Int(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)).map { (status, $0) }
            }
        }
        return (status, 0)
    }

    static func connect(port: UInt16) -> Result<Int32, Failure> {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .failure(Failure("socket: \(String(cString: strerror(errno)))")) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            let message = "connect 127.0.0.1:\(port): \(String(cString: strerror(errno)))"
            Glibc.close(fd)
            return .failure(Failure(message))
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return .success(fd)
    }

    struct Failure: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

/// Fired once from another thread to end a `LoadGenerator.Stop.signal` run.
final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)
    func fire() { flag.store(true, ordering: .releasing) }
    var fired: Bool { flag.load(ordering: .acquiring) }
}

enum Stats {
    /// Nearest-rank percentile (0...1) of unsorted samples; 0 without samples.
    static func percentile(_ samples: [Double], _ p: Double) -> Double {
        guard !samples.isEmpty else { return 0 }
        let sorted = samples.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    static func median(_ samples: [Double]) -> Double { percentile(samples, 0.5) }
}
