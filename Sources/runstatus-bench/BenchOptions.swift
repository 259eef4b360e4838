import Configuration
import CurlTransport
import Demo
import Foundation
import Logging
import Polling
import RunStore
import Serving

/// `runstatus-bench` flags. The same binary also runs as its own children: `--measure` (one N, prints a JSON
/// result) and `--serve-simulator` (the vendor simulator, in a process of its own so its CPU is not ours).
struct BenchOptions: Sendable {
    enum Mode: Sendable { case drive, measure, serveSimulator, tlsLoad }

    var mode = Mode.drive
    var runs = [100, 1_000, 10_000]
    var seed: UInt64 = 6
    /// Unix seconds the scenario starts at; the measuring child hands its own to the simulator child.
    var start: Double?
    /// Seconds of the serve phase.
    var duration = 3.0
    var clients = 32
    /// The exporter's max_concurrency for the poll cycles.
    var concurrency = ExporterConfig.defaultMaxConcurrency
    var renderSamples = 25
    var logLevel = Logger.Level.info
    /// Serve /metrics through `RenderCache` (one shared body per state and second).
    var renderCache = true
    /// glibc malloc settings as the exporter applies them (`MemoryTuning`).
    var memoryTuning = true
    /// `replay`: answers recorded in the first cycle are replayed without I/O after it (see ReplayFetcher).
    var replay = false
    /// The serve phase's clients: the in-process generator, or wrk (`--load=wrk`, which must be on the PATH).
    var wrk = false
    /// Poll cycles after the two measured ones, each followed by an RSS reading (leak hunting).
    var extraCycles = 0
    /// Phases to run, for profiling one of them (`perf record` on a `--measure` child); all by default.
    var phases = Phase.all
    /// Also serve /metrics over TLS (a throwaway CA and certificate made with `openssl`) and measure it next to
    /// plaintext: keep-alive responses/s, handshakes/s, peak RSS with `idleTLSClients` connections.
    var tls = false
    var idleTLSClients = 1_000
    /// For a `--tls-load` child: the load, the port it dials, and whether it speaks plaintext instead.
    var tlsLoad: TLSLoadGenerator.Kind?
    var port: UInt16 = 0
    var plaintextLoad = false
    /// For a `--tls-load` child: request gzip, as Prometheus does.
    var gzipLoad = false
    var help = false

    enum Phase: String, Sendable, CaseIterable {
        case cycle, render, serve, scrape
        static let all = Set(allCases)
    }

    static let usage = """
        Usage: swift run -c release runstatus-bench [flags]

        Starts the vendor simulator with N runs over the five vendors (in a child process, so its CPU is not
        counted as the exporter's), polls them with the real poller, libcurl fetcher and store, renders with
        the real routes and serves them with the real listener, all on loopback; prints one Markdown table row per N.

          --runs=N[,N...]        run counts to measure, each in a fresh process (default 100,1000,10000)
          --duration=SECONDS     length of the serve phase (default 3)
          --clients=N            keep-alive clients in the serve phase (default 32)
          --concurrency=N        the exporter's max_concurrency for poll cycles (default 16)
          --render-samples=N     renders timed for the median, at least 20 in a real run (default 25)
          --seed=N               scenario seed (default 6)
          --log.level=LEVEL      the poller's log level; lines go to /dev/null so their cost counts (default info)
          --no-render-cache      serve /metrics without the render cache (every scrape renders); the render and
                                 scrape-during-cycle phases never use it
          --no-memory-tuning     leave glibc malloc's defaults (the exporter sets a fixed mmap threshold, 2 arenas)
          --load=KIND            builtin (default: keep-alive clients on raw sockets, one poll(2) thread in
                                 the measured process), or wrk (must be on the PATH; 2 threads, --latency)
          --fetcher=KIND         curl (default), or replay: after the first cycle, answer from what it
                                 recorded, without I/O (the exporter's CPU besides its HTTP client)
          --extra-cycles=N       N more poll cycles after the two measured, printing RSS after each (leaks)
          --phases=P[,P...]      only these of cycle, render, serve, scrape (for profiling; the poll cycles
                                 always run, as the others need a polled store)
          --tls                  also serve /metrics over TLS (throwaway CA and certificate made with openssl)
                                 and measure, at the smallest N: keep-alive responses/s over TLS next to
                                 plaintext (clients in a child process, both; three alternating rounds, medians),
                                 for the body as it is and gzipped as Prometheus asks; handshakes/s (a new
                                 connection per request); peak RSS with --tls-idle-clients connected
          --tls-idle-clients=N   idle TLS connections for the RSS figure (default 1000)
          --help

        """

    static func parse(_ arguments: [String]) throws(BenchError) -> BenchOptions {
        var o = BenchOptions()
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            var name = argument
            var value: String?
            if let eq = argument.firstIndex(of: "=") {
                name = String(argument[..<eq])
                value = String(argument[argument.index(after: eq)...])
            }
            func next() throws(BenchError) -> String {
                if let value { return value }
                guard let v = rest.popFirst() else { throw BenchError("\(name) needs a value") }
                return v
            }
            func number<T: LosslessStringConvertible>(_ text: String, _ type: T.Type) throws(BenchError) -> T {
                guard let n = T(text) else { throw BenchError("\(name): \"\(text)\" is not a number") }
                return n
            }
            switch name {
            case "--runs":
                var runs: [Int] = []
                for part in try next().split(separator: ",") {
                    let n = try number(String(part).replacingOccurrences(of: "_", with: ""), Int.self)
                    guard n > 0 else { throw BenchError("--runs: \(n) is not a positive count") }
                    runs.append(n)
                }
                guard !runs.isEmpty else { throw BenchError("--runs needs at least one count") }
                o.runs = runs
            case "--duration":
                o.duration = try number(try next(), Double.self)
                guard o.duration > 0 else { throw BenchError("--duration must be positive") }
            case "--clients":
                o.clients = try number(try next(), Int.self)
                guard o.clients > 0 else { throw BenchError("--clients must be positive") }
            case "--concurrency":
                o.concurrency = try number(try next(), Int.self)
                guard o.concurrency > 0 else { throw BenchError("--concurrency must be positive") }
            case "--render-samples":
                o.renderSamples = try number(try next(), Int.self)
                guard o.renderSamples > 0 else { throw BenchError("--render-samples must be positive") }
            case "--seed": o.seed = try number(try next(), UInt64.self)
            case "--start": o.start = try number(try next(), Double.self)
            case "--log.level":
                let text = try next()
                guard let level = Logger.Level(name: text) else { throw BenchError("--log.level: unknown level \"\(text)\"") }
                o.logLevel = level
            case "--render-cache": o.renderCache = true
            case "--no-render-cache": o.renderCache = false
            case "--no-memory-tuning": o.memoryTuning = false
            case "--load":
                switch try next() {
                case "builtin": o.wrk = false
                case "wrk": o.wrk = true
                case let other: throw BenchError("--load: unknown kind \"\(other)\" (builtin, wrk)")
                }
            case "--fetcher":
                switch try next() {
                case "curl", "urlsession": o.replay = false
                case "replay": o.replay = true
                case let other: throw BenchError("--fetcher: unknown kind \"\(other)\" (curl, replay)")
                }
            case "--extra-cycles":
                o.extraCycles = try number(try next(), Int.self)
                guard o.extraCycles >= 0 else { throw BenchError("--extra-cycles must not be negative") }
            case "--phases":
                var phases = Set<Phase>()
                for part in try next().split(separator: ",") {
                    guard let p = Phase(rawValue: String(part)) else { throw BenchError("--phases: unknown phase \"\(part)\"") }
                    phases.insert(p)
                }
                o.phases = phases
            case "--tls": o.tls = true
            case "--tls-idle-clients":
                o.idleTLSClients = try number(try next(), Int.self)
                guard o.idleTLSClients > 0 else { throw BenchError("--tls-idle-clients must be positive") }
            case "--tls-load":
                let text = try next()
                guard let kind = TLSLoadGenerator.Kind(rawValue: text) else {
                    throw BenchError("--tls-load: unknown load \"\(text)\" (keepalive, handshake, idle)")
                }
                o.mode = .tlsLoad
                o.tlsLoad = kind
            case "--port": o.port = try number(try next(), UInt16.self)
            case "--plaintext": o.plaintextLoad = true
            case "--gzip": o.gzipLoad = true
            case "--measure": o.mode = .measure
            case "--serve-simulator": o.mode = .serveSimulator
            case "--help", "-h": o.help = true
            default: throw BenchError("unknown flag \(argument)")
            }
        }
        return o
    }

    /// The flags a `--measure` child gets for one N.
    func childArguments(runs n: Int) -> [String] {
        var a = ["--measure", "--runs=\(n)", "--duration=\(duration)", "--clients=\(clients)",
                 "--concurrency=\(concurrency)", "--render-samples=\(renderSamples)", "--seed=\(seed)",
                 "--log.level=\(logLevel.name)"]
        a.append(renderCache ? "--render-cache" : "--no-render-cache")
        if !memoryTuning { a.append("--no-memory-tuning") }
        if extraCycles > 0 { a.append("--extra-cycles=\(extraCycles)") }
        if replay { a.append("--fetcher=replay") }
        if wrk { a.append("--load=wrk") }
        if phases != Phase.all { a.append("--phases=" + Phase.allCases.filter(phases.contains).map(\.rawValue).joined(separator: ",")) }
        if tls && n == runs.min() { a += ["--tls", "--tls-idle-clients=\(idleTLSClients)"] }
        return a
    }
}
