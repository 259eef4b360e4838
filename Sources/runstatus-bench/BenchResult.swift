import Foundation

/// Everything measured for one N, handed from the `--measure` child to the driver as one JSON line.
struct BenchResult: Codable, Sendable {
    struct Cycle: Codable, Sendable {
        var seconds = 0.0
        var requests = 0
        /// Requests that did not get a 2xx answer (should be 0; the row says so when not).
        var failures = 0
        var exporterCPUSeconds = 0.0
        /// The simulator child's CPU over the same cycle (clock ticks of 10 ms), for scale only.
        var simulatorCPUSeconds = 0.0

        var requestsPerSecond: Double { seconds > 0 ? Double(requests) / seconds : 0 }
        var cpuPerRequestMicroseconds: Double { requests > 0 ? exporterCPUSeconds / Double(requests) * 1e6 : 0 }
    }

    struct Render: Codable, Sendable {
        var medianMs = 0.0
        var maxMs = 0.0
        /// The rendering thread's own CPU (median), unaffected by other work on the machine.
        var cpuMedianMs = 0.0
        var bytes = 0
        var samples = 0
    }

    struct Serve: Codable, Sendable {
        var clients = 0
        var seconds = 0.0
        var responses = 0
        var responsesPerSecond = 0.0
        var p50Ms = 0.0
        var p99Ms = 0.0
        var errors = 0
        var firstError: String?
        var megabytesPerSecond = 0.0
    }

    struct ScrapeDuringCycle: Codable, Sendable {
        var idleMedianMs = 0.0
        var idleSamples = 0
        var duringMedianMs = 0.0
        var duringMaxMs = 0.0
        var duringSamples = 0
        var cycleSeconds = 0.0
        /// Waits for the store lock (a snapshot every millisecond) during that cycle.
        var lockWaitP99Ms = 0.0
        var lockWaitMaxMs = 0.0
        var ratio: Double { idleMedianMs > 0 ? duringMedianMs / idleMedianMs : 0 }
    }

    struct Memory: Codable, Sendable {
        /// After start-up, the fetcher and the listener, before the config and store exist.
        var baselineBytes = 0
        /// With the config and the store built, before any poll.
        var afterStoreBytes = 0
        var afterCycleBytes = 0
        /// After the first cycle and malloc_trim: what the store holds, without the heap's free pages.
        var afterCycleTrimmedBytes = 0
        /// After the second cycle: growth from one cycle to the next would be a leak.
        var afterSteadyCycleBytes = 0
        /// VmHWM after the first cycle.
        var peakAfterCycleBytes = 0
        /// VmHWM after cycles and one-at-a-time renders: the exporter alone.
        var peakAloneBytes = 0
        /// VmHWM during the serve phase (`clients` scrapes overlapping), measured from a reset just before it.
        var peakServeBytes = 0
        var peakResetWorked = false
    }

    var runs: Int
    var series = 0
    var cacheEnabled = false
    var firstCycle = Cycle()
    var steadyCycle = Cycle()
    /// Poll errors the store counted over the cycles (all reasons).
    var pollErrors = 0
    var render = Render()
    /// nil when the exporter does not answer `Accept-Encoding: gzip` with a gzip body.
    var gzip: Render?
    var serve = Serve()
    var scrape = ScrapeDuringCycle()
    var memory = Memory()
    /// With `--tls`, at the smallest N.
    var tls: TLSFigures?

    var bytesPerRun: Double {
        Double(memory.afterCycleBytes - memory.baselineBytes) / Double(max(runs, 1))
    }
}

/// The table the driver prints, Markdown so it pastes into the README as it is.
enum BenchTable {
    static let header = """
        | runs | series | body | render median (CPU) | gzip render, body | poll cycle | req/s | exporter CPU/req (steady) | serve, \(BenchTable.clientsPlaceholder) clients | serve p99 | scrape idle → during cycle | peak RSS after cycle | RSS/run | peak RSS alone | peak RSS, \(BenchTable.clientsPlaceholder) scrapes |
        |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
        """
    static let clientsPlaceholder = "{clients}"

    static func header(clients: Int) -> String {
        header.replacingOccurrences(of: clientsPlaceholder, with: String(clients))
    }

    static func row(_ r: BenchResult) -> String {
        let gzip = r.gzip.map { "\(ms($0.medianMs)), \(bytes($0.bytes))" } ?? "n/a"
        let cycle = "\(seconds(r.firstCycle.seconds)) (\(count(r.firstCycle.requests)) req)"
        let cpu = "\(us(r.firstCycle.cpuPerRequestMicroseconds)) (\(us(r.steadyCycle.cpuPerRequestMicroseconds)))"
        let scrape = "\(ms(r.scrape.idleMedianMs)) → \(ms(r.scrape.duringMedianMs)) (×\(fixed(r.scrape.ratio, 1)))"
        var cells = [count(r.runs), count(r.series), bytes(r.render.bytes),
                     "\(ms(r.render.medianMs)) (\(ms(r.render.cpuMedianMs)))", gzip, cycle,
                     count(Int(r.firstCycle.requestsPerSecond.rounded())), cpu,
                     "\(count(Int(r.serve.responsesPerSecond.rounded())))/s", ms(r.serve.p99Ms), scrape,
                     megabytes(r.memory.peakAfterCycleBytes), bytes(Int(r.bytesPerRun.rounded())),
                     megabytes(r.memory.peakAloneBytes),
                     r.memory.peakResetWorked ? megabytes(r.memory.peakServeBytes) : "n/a"]
        let failed = r.firstCycle.failures + r.steadyCycle.failures
        if failed > 0 || r.pollErrors > 0 || r.serve.errors > 0 {
            cells[0] += " ⚠"
        }
        return "| " + cells.joined(separator: " | ") + " |"
    }

    /// Lines under the table: problems a row hides (errors), and the simulator's share.
    static func notes(_ r: BenchResult) -> [String] {
        var notes: [String] = []
        let failed = r.firstCycle.failures + r.steadyCycle.failures
        if failed > 0 || r.pollErrors > 0 {
            notes.append("\(r.runs) runs: ⚠ \(failed) vendor requests failed, \(r.pollErrors) poll errors counted")
        }
        if r.serve.errors > 0 {
            notes.append("\(r.runs) runs: ⚠ \(r.serve.errors) serve errors, first: \(r.serve.firstError ?? "?")")
        }
        return notes
    }

    static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    static func fixed(_ v: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", v) }

    static func ms(_ v: Double) -> String {
        v >= 100 ? "\(fixed(v, 0)) ms" : v >= 10 ? "\(fixed(v, 1)) ms" : "\(fixed(v, 2)) ms"
    }

    static func us(_ v: Double) -> String { "\(fixed(v, 0)) µs" }

    static func seconds(_ v: Double) -> String { v >= 10 ? "\(fixed(v, 1)) s" : "\(fixed(v, 2)) s" }

    /// Decimal units, as the targets are stated (64 MB, 180 KB).
    static func bytes(_ n: Int) -> String {
        if n >= 1_000_000 { return "\(fixed(Double(n) / 1e6, 1)) MB" }
        if n >= 10_000 { return "\(fixed(Double(n) / 1e3, 0)) KB" }
        return "\(count(n)) B"
    }

    static func megabytes(_ n: Int) -> String { "\(fixed(Double(n) / 1e6, 1)) MB" }
}
