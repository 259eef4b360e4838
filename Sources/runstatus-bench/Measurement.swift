import Foundation
import Glibc
import HTTPServer
import RunStatusExporter
import RunStatusModel
import VendorSimulator

/// One N, in a process of its own (`--measure`), so memory figures start clean: the simulator in a child
/// process, then the exporter's real parts (URLSession fetcher, poller, store, routes, listener) in this one.
struct Measurement {
    let options: BenchOptions
    let runs: Int
    private let clock = ContinuousClock()

    init(options: BenchOptions, runs: Int) {
        self.options = options
        self.runs = runs
    }

    func run() async throws(BenchError) -> BenchResult {
        progress("starting the simulator")
        let start = Date().timeIntervalSince1970
        let simulator = try ChildProcess(arguments: ["--serve-simulator", "--runs=\(runs)", "--seed=\(options.seed)",
                                                     "--start=\(start)"])
        defer {
            simulator.closeInput()
            _ = simulator.waitForExit()
        }
        guard let line = await OffThread.run({ simulator.readLine() }), line.hasPrefix("port="),
              let simulatorPort = UInt16(line.dropFirst(5)) else {
            throw BenchError("the simulator child did not say its port")
        }

        // What the exporter holds, measured from here: its config, store, snapshots, bodies, connections.
        let fetcher = CountingFetcher(URLSessionFetcher(maxConnectionsPerHost: options.concurrency))
        let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { close(devNull) }
        // The production logger writes each line with FileHandle; here into /dev/null, so formatting and the
        // write(2) still count in the exporter's CPU.
        let logger = Logger(level: options.logLevel, format: .logfmt, sink: { line in
            FileHandle(fileDescriptor: devNull, closeOnDealloc: false).write(Data((line + "\n").utf8))
        })
        ResourceUsage.trimHeap()
        var result = BenchResult(runs: runs)
        result.cacheEnabled = options.renderCache
        result.memory.baselineBytes = ResourceUsage.memory().resident

        let config = Self.config(runs: runs, seed: options.seed, start: start, port: simulatorPort,
                                 concurrency: options.concurrency)
        ResourceUsage.trimHeap()  // the scenario the config was derived from is gone; its pages need not count
        let store = MetricsStore(config: config)
        let poller = Poller(store: store, fetcher: fetcher, logger: logger)
        let routes = Routes(store: store, config: config)
        let handler: HTTPServer.Handler
        if options.renderCache {
            let cache = RenderCache(store: store)
            handler = { request in
                request.path == "/metrics" ? cache.response(for: request, render: routes.handle) : routes.handle(request)
            }
        } else {
            handler = { routes.handle($0) }
        }
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: handler)
        let port: UInt16
        do { port = try server.start() } catch { throw BenchError("cannot start the listener: \(error)") }
        defer { server.stop() }

        // Poll cycles: the first meets every run (and makes WES's details calls), the second re-polls them all.
        progress("first poll cycle")
        result.firstCycle = await timedCycle(poller, config, fetcher, simulator)
        let afterCycle = ResourceUsage.memory()
        result.memory.afterCycleBytes = afterCycle.resident
        result.memory.peakAfterCycleBytes = afterCycle.peak
        progress("second poll cycle")
        result.steadyCycle = await timedCycle(poller, config, fetcher, simulator)

        // Render: the /metrics handler itself, one at a time, on a thread of its own.
        progress("rendering \(options.renderSamples) times")
        let plain = HTTPRequest(method: "GET", target: "/metrics", headers: [("Accept", "text/plain;version=0.0.4")])
        let (render, body) = await OffThread.run { Self.timeRenders(options.renderSamples, routes.handle, plain) }
        result.render = render
        result.series = Self.seriesCount(body)
        result.pollErrors = Self.pollErrors(body)
        let gzipped = HTTPRequest(method: "GET", target: "/metrics",
                                  headers: [("Accept", "text/plain;version=0.0.4"), ("Accept-Encoding", "gzip")])
        let probe = routes.handle(gzipped)
        if probe.headers.contains(where: { $0.name.caseInsensitiveEquals("Content-Encoding") && $0.value.contains("gzip") }) {
            result.gzip = await OffThread.run { Self.timeRenders(options.renderSamples, routes.handle, gzipped).0 }
        }
        result.memory.peakAloneBytes = ResourceUsage.memory().peak

        // Serve: keep-alive clients scraping as fast as they can.
        progress("serving \(options.clients) clients for \(options.duration) s")
        result.memory.peakResetWorked = ResourceUsage.resetPeak()
        let load = LoadGenerator(port: port, connections: options.clients)
        let duration = Duration.milliseconds(Int64(options.duration * 1000))
        let served = await OffThread.run { load.run(until: .after(duration)) }
        result.memory.peakServeBytes = ResourceUsage.memory().peak
        result.serve = BenchResult.Serve(clients: options.clients, seconds: served.elapsed, responses: served.latencies.count,
                                         responsesPerSecond: served.responsesPerSecond,
                                         p50Ms: served.percentile(0.5) * 1000, p99Ms: served.percentile(0.99) * 1000,
                                         errors: served.errors, firstError: served.firstError,
                                         megabytesPerSecond: Double(served.bodyBytes) / 1e6 / max(served.elapsed, 1e-9))

        // One scraper, idle and then during a full poll cycle: how much the cycle slows a scrape.
        progress("scraping during a poll cycle")
        let single = LoadGenerator(port: port, connections: 1)
        let samples = options.renderSamples
        let idle = await OffThread.run { single.run(until: .requests(samples)) }
        let stop = StopSignal()
        async let during = OffThread.run { single.run(until: .signal(stop)) }
        let cycleStart = clock.now
        await poller.pollOnce(config)
        let cycleSeconds = LoadGenerator.seconds(cycleStart.duration(to: clock.now))
        stop.fire()
        let busy = await during
        result.scrape = BenchResult.ScrapeDuringCycle(
            idleMedianMs: Stats.median(idle.latencies) * 1000, idleSamples: idle.latencies.count,
            duringMedianMs: Stats.median(busy.latencies) * 1000,
            duringMaxMs: (busy.latencies.max() ?? 0) * 1000, duringSamples: busy.latencies.count,
            cycleSeconds: cycleSeconds)
        if idle.errors + busy.errors > 0 {
            result.serve.errors += idle.errors + busy.errors
            result.serve.firstError = result.serve.firstError ?? idle.firstError ?? busy.firstError
        }
        await poller.stop()
        progress("done")
        return result
    }

    /// The demo's config for the generated scenario: one target per vendor, every run due on every cycle.
    /// The scenario is built here and dropped, so only the config stays in this process.
    static func config(runs: Int, seed: UInt64, start: Double, port: UInt16, concurrency: Int) -> ExporterConfig {
        let scenario = SimulatorScenario.generated(runs: runs, seed: seed, startingAt: start)
        return DemoMode.config(for: scenario, baseURL: "http://127.0.0.1:\(port)", pollInterval: 0.001,
                               terminalPollInterval: 0.001, timeout: 30, maxConcurrency: concurrency)
    }

    private func timedCycle(_ poller: Poller, _ config: ExporterConfig, _ fetcher: CountingFetcher,
                            _ simulator: ChildProcess) async -> BenchResult.Cycle {
        let requests = fetcher.requests, failures = fetcher.failures
        let simulatorCPU = simulator.cpuSeconds ?? 0
        let cpu = ResourceUsage.processCPUSeconds()
        let started = clock.now
        await poller.pollOnce(config)
        let elapsed = LoadGenerator.seconds(started.duration(to: clock.now))
        return BenchResult.Cycle(seconds: elapsed, requests: fetcher.requests - requests,
                                 failures: fetcher.failures - failures,
                                 exporterCPUSeconds: ResourceUsage.processCPUSeconds() - cpu,
                                 simulatorCPUSeconds: (simulator.cpuSeconds ?? 0) - simulatorCPU)
    }

    /// Median wall and thread-CPU time of `samples` calls of the handler, and the last body.
    static func timeRenders(_ samples: Int, _ handle: HTTPServer.Handler, _ request: HTTPRequest)
        -> (BenchResult.Render, [UInt8]) {
        var walls: [Double] = [], cpus: [Double] = []
        var body: [UInt8] = []
        let clock = ContinuousClock()
        // One untimed call first: lazy statics and the first growth of the allocator's arenas are not a render.
        _ = handle(request)
        for _ in 0..<samples {
            let cpu = ResourceUsage.threadCPUSeconds()
            let started = clock.now
            body = handle(request).body
            walls.append(LoadGenerator.seconds(started.duration(to: clock.now)))
            cpus.append(ResourceUsage.threadCPUSeconds() - cpu)
        }
        return (BenchResult.Render(medianMs: Stats.median(walls) * 1000, maxMs: (walls.max() ?? 0) * 1000,
                                   cpuMedianMs: Stats.median(cpus) * 1000, bytes: body.count, samples: samples), body)
    }

    /// Sample lines (not `#` lines) of an exposition.
    static func seriesCount(_ body: [UInt8]) -> Int {
        var count = 0, atLineStart = true
        for b in body {
            if atLineStart && b != UInt8(ascii: "#") && b != UInt8(ascii: "\n") { count += 1 }
            atLineStart = b == UInt8(ascii: "\n")
        }
        return count
    }

    /// Sum of `runstatus_poll_errors_total` over every target and reason.
    static func pollErrors(_ body: [UInt8]) -> Int {
        let prefix = "runstatus_poll_errors_total{"
        var total = 0.0
        for line in String(decoding: body, as: UTF8.self).split(separator: "\n") where line.hasPrefix(prefix) {
            if let space = line.lastIndex(of: " "), let v = Double(line[line.index(after: space)...]) { total += v }
        }
        return Int(total)
    }

    private func progress(_ step: String) {
        FileHandle.standardError.write(Data("runstatus-bench: \(runs) runs: \(step)\n".utf8))
    }
}
