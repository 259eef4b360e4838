/// The TLS figures (`--tls`), measured at the smallest N only.
struct TLSFigures: Codable, Sendable {
    /// Why nothing was measured (no openssl on the PATH, the listener would not start), if so.
    var skipped: String?
    var clients = 0
    /// /metrics over plaintext and over TLS, the same clients (a child process) against the same routes: medians
    /// of rounds taken in turn, the body as it is.
    var plaintextPerSecond = 0.0
    var tlsPerSecond = 0.0
    /// The same with `Accept-Encoding: gzip`, the body every Prometheus scrape asks for.
    var gzipPlaintextPerSecond = 0.0
    var gzipTLSPerSecond = 0.0
    /// New connection, handshake, one /metrics, close: per second.
    var handshakesPerSecond = 0.0
    var idleClients = 0
    /// Connections that completed their handshake and stayed open.
    var idleConnected = 0
    /// This process's peak RSS while they were open.
    var peakIdleBytes = 0
    /// RSS once they are all connected (the peak includes their handshakes in flight at once).
    var residentIdleBytes = 0
    /// The same after malloc_trim: without the heap's free pages.
    var trimmedIdleBytes = 0
    var peakResetWorked = false
    var errors = 0
    var firstError: String?

    var ratio: Double { plaintextPerSecond > 0 ? tlsPerSecond / plaintextPerSecond : 0 }
    var gzipRatio: Double { gzipPlaintextPerSecond > 0 ? gzipTLSPerSecond / gzipPlaintextPerSecond : 0 }
    var measured: Bool { skipped == nil && plaintextPerSecond > 0 && tlsPerSecond > 0 }
    var gzipMeasured: Bool { skipped == nil && gzipPlaintextPerSecond > 0 && gzipTLSPerSecond > 0 }

    mutating func fail(_ message: String?, count: Int) {
        guard count > 0 else { return }
        errors += count
        if firstError == nil { firstError = message }
    }
}

extension BenchTable {
    /// The TLS lines under the table.
    static func tlsLines(_ r: BenchResult) -> [String] {
        guard let t = r.tls else { return [] }
        if let skipped = t.skipped { return ["TLS (\(count(r.runs)) runs): skipped: \(skipped)"] }
        func rates(_ overTLS: Double, _ plain: Double, _ ratio: Double) -> String {
            "\(count(Int(overTLS.rounded())))/s over TLS, \(count(Int(plain.rounded())))/s plaintext (\(fixed(ratio * 100, 0)) %)"
        }
        var lines = ["TLS at \(count(r.runs)) runs, \(t.clients) keep-alive clients (medians of alternating rounds): "
            + "identity body \(rates(t.tlsPerSecond, t.plaintextPerSecond, t.ratio)), "
            + "gzip as Prometheus asks \(rates(t.gzipTLSPerSecond, t.gzipPlaintextPerSecond, t.gzipRatio)); "
            + "handshakes (a new connection per request): "
            + "\(count(Int(t.handshakesPerSecond.rounded())))/s; peak RSS with \(count(t.idleConnected)) of "
            + "\(count(t.idleClients)) idle TLS connections: \(megabytes(t.peakIdleBytes)) (\(megabytes(t.residentIdleBytes)) "
            + "once connected, \(megabytes(t.trimmedIdleBytes)) after malloc_trim)"]
        if t.errors > 0 { lines.append("TLS: ⚠ \(t.errors) errors, first: \(t.firstError ?? "?")") }
        return lines
    }
}

extension TargetCheck {
    static func tlsLines(_ results: [BenchResult]) -> [String] {
        guard let t = results.compactMap(\.tls).first else { return [] }
        let why = t.skipped ?? "no TLS response measured"
        var out: [String] = []
        // The target is about scrapes, and every Prometheus scrape asks for gzip; the uncompressed body's ratio is
        // shown beside it (on shared cores the client's decryption bounds it, see the README's "Over TLS").
        if t.gzipMeasured {
            out.append("\(t.gzipRatio >= 0.5 ? "meets" : "MISSES"): TLS keep-alive scrapes ≥ 50% of plaintext "
                       + "(gzip, as Prometheus asks): \(BenchTable.fixed(t.gzipRatio * 100, 0)) %")
        } else {
            out.append("not measured: TLS keep-alive scrapes ≥ 50% of plaintext (\(why))")
        }
        if t.measured {
            out.append("no target: TLS keep-alive / plaintext for the uncompressed body: \(BenchTable.fixed(t.ratio * 100, 0)) %")
        }
        if t.skipped == nil && t.peakResetWorked && t.idleConnected == t.idleClients && t.idleClients >= 1_000 {
            out.append("\(t.peakIdleBytes < 64_000_000 ? "meets" : "MISSES"): RSS < 64 MB with 1,000 TLS connections: "
                       + BenchTable.megabytes(t.peakIdleBytes))
        } else {
            let reason = t.skipped ?? (t.idleClients < 1_000 ? "--tls-idle-clients below 1,000"
                : !t.peakResetWorked ? "the peak could not be reset" : "\(t.idleConnected) of \(t.idleClients) connected")
            out.append("not measured: RSS < 64 MB with 1,000 TLS connections (\(reason))")
        }
        return out
    }
}
