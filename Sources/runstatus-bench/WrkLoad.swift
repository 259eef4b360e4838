import ChildProcesses
import Foundation

/// The serve phase through wrk (`--load=wrk`), for a load generator outside the measured process: `wrk --latency`
/// with 2 threads, read back from its report (requests/s, the 50th and 99th percentile, errors).
enum WrkLoad {
    /// wrk on the PATH, if any.
    static var executable: String? { SearchPath.find("wrk") }

    struct Report: Sendable {
        var responses = 0
        var seconds = 0.0
        var responsesPerSecond = 0.0
        var p50Seconds = 0.0
        var p99Seconds = 0.0
        var errors = 0
        var firstError: String?
    }

    /// Blocks for the run: call through `OffThread`.
    static func run(_ wrk: String, port: UInt16, connections: Int, seconds: Double) throws(BenchError) -> Report {
        let child = try PipedProcess.start(executable: wrk, arguments: [
            "--threads", String(min(2, connections)), "--connections", String(connections),
            "--duration", "\(max(1, Int(seconds.rounded())))s", "--timeout", "30s", "--latency",
            "http://127.0.0.1:\(port)/metrics",
        ])
        child.closeInput()
        let output = String(decoding: child.readToEnd(), as: UTF8.self)
        let status = child.waitForExit()
        guard status == 0, let report = parse(output) else {
            throw BenchError("wrk exited with \(status) or printed an unexpected report:\n\(output)")
        }
        return report
    }

    /// Reads wrk 4's report.
    static func parse(_ text: String) -> Report? {
        var r = Report()
        var sawRate = false
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("Requests/sec:"), let v = fields.last.flatMap({ Double($0) }) {
                r.responsesPerSecond = v
                sawRate = true
            } else if line.hasPrefix("50%"), let v = fields.last.flatMap(duration) {
                r.p50Seconds = v
            } else if line.hasPrefix("99%"), let v = fields.last.flatMap(duration) {
                r.p99Seconds = v
            } else if fields.count >= 5, fields[1] == "requests", fields[2] == "in" {
                // "45000 requests in 3.00s, 8.00GB read"
                r.responses = Int(fields[0]) ?? 0
                r.seconds = duration(fields[3].trimmingCharacters(in: CharacterSet(charactersIn: ","))) ?? 0
            } else if line.hasPrefix("Non-2xx or 3xx responses:"), let n = fields.last.flatMap({ Int($0) }) {
                r.errors += n
                r.firstError = r.firstError ?? line
            } else if line.hasPrefix("Socket errors:") {
                // "Socket errors: connect 0, read 1, write 0, timeout 0"
                let counts = fields.compactMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: ","))) }
                let n = counts.reduce(0, +)
                if n > 0 {
                    r.errors += n
                    r.firstError = r.firstError ?? line
                }
            }
        }
        return sawRate ? r : nil
    }

    /// `812.00us`, `2.10ms`, `1.05s`, `3.00s`, `1.00m` → seconds.
    static func duration(_ text: some StringProtocol) -> Double? {
        let units: [(String, Double)] = [("us", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let v = Double(text.dropLast(suffix.count)) { return v * scale }
        }
        return nil
    }
}
