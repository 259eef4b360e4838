import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
@testable import Configuration
@testable import CurlTransport
@testable import Logging
@testable import Polling
@testable import RunStatusExporter
@testable import RunStore
@testable import Serving

/// Parses the text format into `series → value`, where series is `name{labels as written}`.
/// Deliberately naive (split at the last space): an independent reading of what the renderer wrote.
func parseExposition(_ text: String) -> [String: Double] {
    var out: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " ") else { continue }
        let value = line[line.index(after: space)...]
        out[String(line[..<space])] = value == "+Inf" ? .infinity : value == "NaN" ? .nan : Double(value)
    }
    return out
}

/// One HTTP GET on loopback; returns status, headers and body text.
func httpGet(_ url: String, headers: [String: String] = [:], method: String = "GET") async throws -> (Int, [String: String], String) {
    var request = URLRequest(url: URL(string: url)!, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 10)
    request.httpMethod = method
    for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
    let (data, response) = try await URLSession.shared.data(for: request)
    let http = response as! HTTPURLResponse
    var h: [String: String] = [:]
    for (k, v) in http.allHeaderFields { if let k = k as? String, let v = v as? String { h[k.lowercased()] = v } }
    return (http.statusCode, h, String(decoding: data, as: UTF8.self))
}

/// Collects log lines for assertions.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    var logger: Logger {
        Logger(level: .debug, format: .logfmt, sink: { [self] line in lines.withLock { $0.append(line) } })
    }
}
