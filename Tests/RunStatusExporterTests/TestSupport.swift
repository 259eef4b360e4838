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

/// A clock the test moves by hand, shared by the simulator and the poller so values are exact.
final class ManualClock: Sendable {
    private let value: Mutex<Double>
    init(_ start: Double) { value = Mutex(start) }
    var now: Double { value.withLock { $0 } }
    func set(_ t: Double) { value.withLock { $0 = t } }
    var closure: @Sendable () -> Double { { [self] in now } }
}

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

/// Waits (bounded) until `condition` holds, polling every 50 ms.
func eventually(timeout: Double = 15, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// Collects log lines for assertions.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    var logger: Logger {
        Logger(level: .debug, format: .logfmt, sink: { [self] line in lines.withLock { $0.append(line) } })
    }
}

/// Runs a program to completion on a thread of its own (never on Swift's cooperative pool, which blocking
/// pipe reads and waits would starve), feeding `input` to its stdin; returns its status and combined output.
func runProgram(_ path: String, _ arguments: [String], input: Data = Data()) async throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let stdin = Pipe(), output = Pipe()
    process.standardInput = stdin
    process.standardOutput = output
    process.standardError = output
    try process.run()
    return await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            stdin.fileHandleForWriting.write(input)
            try? stdin.fileHandleForWriting.close()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            continuation.resume(returning: (process.terminationStatus, text))
        }
    }
}
