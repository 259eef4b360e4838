import Configuration
import CurlTransport
import Foundation
import Glibc
import HTTPServer
import Logging
import Polling
import RunStatusModel
import RunStore
import Serving

/// `runstatus-exporter healthcheck`: GET /-/healthy on the local listener; exit 0 when it answers 200.
/// For the Dockerfile's HEALTHCHECK, which has no curl in a slim image.
///
/// With basic auth on (`--web.config.file`), every path asks for credentials and the probe has none (the web
/// config holds only hashes): a 401 carrying `WWW-Authenticate: Basic` counts as alive, since only the running
/// exporter's own listener answers that way. No password ever goes into a Dockerfile or a process list.
///
/// With TLS on (`tls_server_config` in the web config given with `--web.config.file`), the probe speaks TLS
/// (`HealthCheck+TLS.swift`).
///
/// A plain socket rather than URLSession: it is a one-shot blocking probe in a process of its own, and
/// URLSession on Linux stalls on a 401 challenge it has no credentials for.
enum HealthCheck {
    static let timeoutSeconds = 3

    static func probe(listenAddress: String, webConfigFile: String? = nil) -> Int32 {
        guard let address = try? ListenAddress(parsing: listenAddress) else {
            fail("bad listen address \(listenAddress)")
            return 1
        }
        // Probe loopback when the exporter listens on every interface.
        let host: String
        switch address.host {
        case "", "0.0.0.0", "localhost": host = "127.0.0.1"
        case "::": host = "::1"
        default: host = address.host
        }
        let shown = host.contains(":") ? "[\(host)]:\(address.port)" : "\(host):\(address.port)"
        let tls: TLSProbe?
        do {
            tls = try webConfigFile.flatMap { path throws(ConfigError) in try TLSProbe(webConfig: WebConfig.load(path: path)) }
        } catch {
            fail(error.lines.joined(separator: "; "))
            return 1
        }
        let scheme = tls == nil ? "http" : "https"
        let answer: Result<String, ProbeError>
        if let tls {
            switch tls.get(host: host, port: address.port, request: Self.request(hostHeader: shown)) {
            case .answered(let head): answer = .success(head)
            case .refusedOurCertificate: return 0  // alive, behind mutual TLS
            case .failed(let reason): answer = .failure(reason)
            }
        } else {
            answer = get(host: host, port: address.port, hostHeader: shown)
        }
        switch answer {
        case .success(let head):
            let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
            let status = lines.first.flatMap { line in line.split(separator: " ").dropFirst().first.flatMap { Int($0) } } ?? 0
            if status == 200 { return 0 }
            let challenged = lines.dropFirst().contains { line in
                let lower = line.lowercased()
                return lower.hasPrefix("www-authenticate:") && lower.dropFirst(17).trimmingCharacters(in: .whitespaces).hasPrefix("basic")
            }
            if status == 401 && challenged { return 0 }  // alive, behind basic auth
            fail("\(scheme)://\(shown)/-/healthy answered \(status)")
        case .failure(let reason):
            fail("\(scheme)://\(shown)/-/healthy answered nothing: \(reason)")
        }
        return 1
    }

    private static func fail(_ message: String) {
        FileHandle.standardError.write(Data("healthcheck: \(message)\n".utf8))
    }

    struct ProbeError: Error, CustomStringConvertible {
        var description: String
    }

    static func request(hostHeader: String) -> [UInt8] {
        Array("GET /-/healthy HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: runstatus-exporter-healthcheck\r\nConnection: close\r\n\r\n".utf8)
    }

    /// A socket connected to `host`:`port` with a deadline on every call; the caller closes it.
    static func connected(host: String, port: UInt16) -> Result<Int32, ProbeError> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            return .failure(ProbeError(description: "cannot resolve \(host)"))
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .failure(ProbeError(description: String(cString: strerror(errno)))) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            return .failure(ProbeError(description: reason))
        }
        return .success(fd)
    }

    /// The response head of `GET /-/healthy`, read with a deadline on every call.
    private static func get(host: String, port: UInt16, hostHeader: String) -> Result<String, ProbeError> {
        let fd: Int32
        switch connected(host: host, port: port) {
        case .success(let socket): fd = socket
        case .failure(let error): return .failure(error)
        }
        defer { close(fd) }
        let request = request(hostHeader: hostHeader)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            return .failure(ProbeError(description: String(cString: strerror(errno))))
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while received.count < 16 * 1024 {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received.append(contentsOf: chunk[0..<n])
            if let text = String(bytes: received, encoding: .utf8), let end = text.range(of: "\r\n\r\n") {
                return .success(String(text[..<end.lowerBound]))
            }
        }
        return received.isEmpty ? .failure(ProbeError(description: "no answer within \(timeoutSeconds) s"))
                                 : .success(String(decoding: received, as: UTF8.self))
    }
}
