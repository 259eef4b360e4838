import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPServer

/// `runstatus-exporter healthcheck`: GET /-/healthy on the local listener; exit 0 when it answers 200.
/// For the Dockerfile's HEALTHCHECK, which has no curl in a slim image.
///
/// With basic auth on (`--web.config.file`), every path asks for credentials and the probe has none (the web
/// config holds only hashes): a 401 carrying `WWW-Authenticate: Basic` counts as alive, since only the running
/// exporter's own listener answers that way. No password ever goes into a Dockerfile or a process list.
enum HealthCheck {
    static func probe(listenAddress: String) -> Int32 {
        guard let address = try? ListenAddress(parsing: listenAddress) else {
            FileHandle.standardError.write(Data("healthcheck: bad listen address \(listenAddress)\n".utf8))
            return 1
        }
        // Probe loopback when the exporter listens on every interface.
        let host: String
        switch address.host {
        case "", "0.0.0.0": host = "127.0.0.1"
        case "::": host = "[::1]"
        case "localhost": host = "127.0.0.1"
        default: host = address.host.contains(":") ? "[\(address.host)]" : address.host
        }
        guard let url = URL(string: "http://\(host):\(address.port)/-/healthy") else { return 1 }
        let status = StatusBox()
        let done = DispatchSemaphore(value: 0)
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 3)
        request.httpMethod = "GET"
        URLSession.shared.dataTask(with: request) { _, response, _ in
            let http = response as? HTTPURLResponse
            var code = http?.statusCode ?? 0
            if code == 401, let challenge = http?.value(forHTTPHeaderField: "WWW-Authenticate"),
               challenge.lowercased().hasPrefix("basic") {
                code = 200  // alive, behind basic auth
            }
            status.set(code)
            done.signal()
        }.resume()
        _ = done.wait(timeout: .now() + 5)
        let code = status.get()
        if code == 200 { return 0 }
        FileHandle.standardError.write(Data("healthcheck: \(url) answered \(code == 0 ? "nothing" : String(code))\n".utf8))
        return 1
    }

    final class StatusBox: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func set(_ v: Int) { lock.lock(); value = v; lock.unlock() }
        func get() -> Int { lock.lock(); defer { lock.unlock() }; return value }
    }
}
