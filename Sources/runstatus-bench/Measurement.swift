import ChildProcesses
import Configuration
import CurlTransport
import Demo
import Foundation
import Glibc
import HTTPServer
import Logging
import Polling
import RunStatusModel
import RunStatusExporter
import RunStore
import Serving
import VendorSimulator

/// One N, in a process of its own (`--measure`), so memory figures start clean: the simulator in a child
/// process (its CPU is not ours), then the exporter's real parts in this one: libcurl fetcher, poller, store,
/// routes and listener, wired as ExporterCommand wires them.
struct Measurement {
    let options: BenchOptions
    let runs: Int
    private let clock = ContinuousClock()

    init(options: BenchOptions, runs: Int) {
        self.options = options
        self.runs = runs
    }

    /// The exporter under test.
    struct Exporter {
        var config: ExporterConfig
        var store: MetricsStore
        var poller: Poller
        var routes: Routes
        /// The same routes without the render cache: every call renders (the render and scrape-during-cycle phases).
        var uncachedRoutes: Routes
        var uncachedPort: UInt16
        var fetcher: CountingFetcher
        var simulator: PipedProcess
        var port: UInt16
    }

    func run() async throws(BenchError) -> BenchResult {
        // As runstatus-exporter does at start.
        if options.memoryTuning { MemoryTuning.apply() }
        progress("starting the simulator")
        let start = Date().timeIntervalSince1970
        let simulator = try PipedProcess.start(arguments: ["--serve-simulator", "--runs=\(runs)", "--seed=\(options.seed)",
                                                           "--start=\(start)"])
        // On an error this process ends soon, closing the pipe: the simulator sees end of input and ends too.
        let result = try await measure(simulator, start: start)
        _ = await OffThread.run {
            simulator.closeInput()
            return simulator.waitForExit()
        }
        return result
    }

    private func measure(_ simulator: PipedProcess, start: Double) async throws(BenchError) -> BenchResult {
        guard let line = await OffThread.run({ simulator.readLine() }), line.hasPrefix("port="),
              let simulatorPort = UInt16(line.dropFirst(5)) else {
            throw BenchError("the simulator child did not say its port")
        }

        var result = BenchResult(runs: runs)
        result.cacheEnabled = options.renderCache
        let transport = CurlFetcher(maxConnectionsPerHost: options.concurrency)
        let fetcher = CountingFetcher(options.replay ? ReplayFetcher(transport) : transport)
        let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { close(devNull) }
        // The production logger writes each line with FileHandle; here into /dev/null, so formatting and the
        // write(2) still count in the exporter's CPU.
        let logger = Logger(level: options.logLevel, format: .logfmt, sink: { line in
            FileHandle(fileDescriptor: devNull, closeOnDealloc: false).write(Data((line + "\n").utf8))
        })
        ResourceUsage.trimHeap()
        // What the exporter holds is measured from here: config, store, snapshots, bodies, connections.
        result.memory.baselineBytes = ResourceUsage.memory().resident

        let config = Self.config(runs: runs, seed: options.seed, start: start, port: simulatorPort,
                                 concurrency: options.concurrency)
        ResourceUsage.trimHeap()  // the scenario the config was derived from is gone; its pages need not count
        let store = MetricsStore(config: config)
        let poller = Poller(store: store, fetcher: fetcher, logger: logger)
        let routes = Routes(store: store, config: config, renderCache: options.renderCache)
        let uncachedRoutes = Routes(store: store, config: config, renderCache: false)
        result.memory.afterStoreBytes = ResourceUsage.memory().resident
        // Peaks count from here: building the generated scenario (10,000 scripted runs) to derive the config is the
        // benchmark's own set-up, not something the exporter does (it reads a config file).
        _ = ResourceUsage.resetPeak()
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: { routes.handle($0) })
        let uncachedServer = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0),
                                        handler: { uncachedRoutes.handle($0) })
        let port: UInt16, uncachedPort: UInt16
        do {
            port = try server.start()
            uncachedPort = try uncachedServer.start()
        } catch { throw BenchError("cannot start the listener: \(error)") }
        let exporter = Exporter(config: config, store: store, poller: poller, routes: routes,
                                uncachedRoutes: uncachedRoutes, uncachedPort: uncachedPort, fetcher: fetcher,
                                simulator: simulator, port: port)

        await cycles(exporter, into: &result)
        await render(exporter, into: &result)  // always: its one untimed render gives the series and error counts
        if options.phases.contains(.serve) { await serve(exporter, into: &result) }
        if options.phases.contains(.scrape) { await scrapeDuringCycle(exporter, into: &result) }
        if options.tls { result.tls = await tlsServe(exporter) }
        await poller.stop()
        await server.shutdown()
        await uncachedServer.shutdown()
        progress("done")
        return result
    }

    /// The demo's config for the generated scenario: one target per vendor, every run due on every cycle.
    /// The scenario is built here and dropped, so only the config stays in this process.
    static func config(runs: Int, seed: UInt64, start: Double, port: UInt16, concurrency: Int) -> ExporterConfig {
        let scenario = SimulatorScenario.generated(runs: runs, seed: seed, startingAt: start)
        var config = DemoMode.config(for: scenario, baseURL: "http://127.0.0.1:\(port)", pollInterval: 0.001,
                                     terminalPollInterval: 0.001, timeout: 30, maxConcurrency: concurrency)
        // The generated scenario's simulator has no rate limits: no budget either (Sequentum's default is 100/min).
        for i in config.targets.indices { config.targets[i].rateLimit = nil }
        // 10,000 runs are about 130,000 series, past the default cap of 100,000: raise it, all runs are measured.
        config.maxSeries = max(config.maxSeries, runs * 20)
        return config
    }

    // MARK: Phases

    /// The first cycle meets every run (and makes WES's details calls); the second re-polls them all.
    private func cycles(_ e: Exporter, into result: inout BenchResult) async {
        progress("first poll cycle")
        result.firstCycle = await timedCycle(e)
        let afterCycle = ResourceUsage.memory()
        result.memory.afterCycleBytes = afterCycle.resident
        result.memory.peakAfterCycleBytes = afterCycle.peak
        ResourceUsage.trimHeap()
        result.memory.afterCycleTrimmedBytes = ResourceUsage.memory().resident
        progress("RSS: \(Self.mb(result.memory.baselineBytes)) at start, \(Self.mb(result.memory.afterStoreBytes)) with "
                 + "config and store, \(Self.mb(afterCycle.resident)) after the first cycle, "
                 + "\(Self.mb(result.memory.afterCycleTrimmedBytes)) after malloc_trim")
        progress("second poll cycle")
        result.steadyCycle = await timedCycle(e)
        result.memory.afterSteadyCycleBytes = ResourceUsage.memory().resident
        progress("RSS: \(Self.mb(result.memory.afterSteadyCycleBytes)) after the second cycle")
        // More cycles on request: RSS that keeps growing from cycle to cycle is a leak, not a working set.
        for k in 0..<options.extraCycles {
            let cycle = await timedCycle(e)
            progress("RSS: \(Self.mb(ResourceUsage.memory().resident)) after cycle \(k + 3) "
                     + "(\(BenchTable.us(cycle.cpuPerRequestMicroseconds)) CPU per request)")
        }
    }

    private func timedCycle(_ e: Exporter) async -> BenchResult.Cycle {
        let requests = e.fetcher.requests, failures = e.fetcher.failures
        let simulatorCPU = ResourceUsage.cpuSeconds(pid: e.simulator.pid) ?? 0
        let cpu = ResourceUsage.processCPUSeconds()
        let started = clock.now
        await e.poller.pollOnce(e.config)
        let elapsed = LoadGenerator.seconds(started.duration(to: clock.now))
        return BenchResult.Cycle(seconds: elapsed, requests: e.fetcher.requests - requests,
                                 failures: e.fetcher.failures - failures,
                                 exporterCPUSeconds: ResourceUsage.processCPUSeconds() - cpu,
                                 simulatorCPUSeconds: (ResourceUsage.cpuSeconds(pid: e.simulator.pid) ?? 0) - simulatorCPU)
    }

    /// The /metrics handler itself (not through the cache), one call at a time, on a thread of its own.
    private func render(_ e: Exporter, into result: inout BenchResult) async {
        let samples = options.phases.contains(.render) ? options.renderSamples : 0
        progress("rendering \(samples) times")
        let routes = e.uncachedRoutes
        let plain = HTTPRequest(method: "GET", target: "/metrics", headers: [("Accept", "text/plain;version=0.0.4")])
        let (render, body) = await OffThread.run { Self.timeRenders(samples, routes.handle, plain) }
        result.render = render
        result.series = Self.seriesCount(body)
        result.pollErrors = Self.pollErrors(body)
        // With gzip when the exporter offers it (a later change may); the column says n/a until then.
        let gzipped = HTTPRequest(method: "GET", target: "/metrics",
                                  headers: [("Accept", "text/plain;version=0.0.4"), ("Accept-Encoding", "gzip")])
        if samples > 0, routes.handle(gzipped).headers.contains(where: {
            $0.name.caseInsensitiveEquals("Content-Encoding") && $0.value.lowercased().contains("gzip")
        }) {
            result.gzip = await OffThread.run { Self.timeRenders(samples, routes.handle, gzipped).0 }
        }
        result.memory.peakAloneBytes = ResourceUsage.memory().peak
    }

    /// Keep-alive clients scraping as fast as they can; the peak RSS while their scrapes overlap.
    private func serve(_ e: Exporter, into result: inout BenchResult) async {
        progress("serving \(options.clients) clients for \(options.duration) s\(options.wrk ? " (wrk)" : "")")
        result.memory.peakResetWorked = ResourceUsage.resetPeak()
        if options.wrk, let wrk = WrkLoad.executable {
            let (port, clients, seconds) = (e.port, options.clients, options.duration)
            let outcome = await OffThread.run { () -> Result<WrkLoad.Report, BenchError> in
                do throws(BenchError) {
                    return .success(try WrkLoad.run(wrk, port: port, connections: clients, seconds: seconds))
                } catch {
                    return .failure(error)
                }
            }
            result.memory.peakServeBytes = ResourceUsage.memory().peak
            switch outcome {
            case .success(let r):
                result.serve = BenchResult.Serve(clients: clients, seconds: r.seconds, responses: r.responses,
                                                 responsesPerSecond: r.responsesPerSecond, p50Ms: r.p50Seconds * 1000,
                                                 p99Ms: r.p99Seconds * 1000, errors: r.errors, firstError: r.firstError,
                                                 megabytesPerSecond: 0)
            case .failure(let error):
                result.serve.errors += 1
                result.serve.firstError = error.description
            }
            return
        }
        let load = LoadGenerator(port: e.port, connections: options.clients)
        let duration = Duration.milliseconds(Int64(options.duration * 1000))
        let served = await OffThread.run { load.run(until: .after(duration)) }
        result.memory.peakServeBytes = ResourceUsage.memory().peak
        result.serve = BenchResult.Serve(clients: options.clients, seconds: served.elapsed, responses: served.latencies.count,
                                         responsesPerSecond: served.responsesPerSecond,
                                         p50Ms: served.percentile(0.5) * 1000, p99Ms: served.percentile(0.99) * 1000,
                                         errors: served.errors, firstError: served.firstError,
                                         megabytesPerSecond: Double(served.bodyBytes) / 1e6 / max(served.elapsed, 1e-9))
    }

    /// One scraper, idle and then during a full poll cycle, and the store lock's waits meanwhile: how much a
    /// cycle slows a scrape, and whether by holding the lock or only by sharing the CPU.
    private func scrapeDuringCycle(_ e: Exporter, into result: inout BenchResult) async {
        progress("scraping during a poll cycle")
        // The simulator stands in for vendors that run on other machines: here it shares these 2 cores, and
        // at equal priority its half of them shows as the exporter's scrape slowing down. Lowered, what remains
        // is the exporter's own poll cycle against its own scrapes (lock holds and its CPU use).
        e.simulator.lowerPriority(nice: 10)
        // Uncached on both sides: every scrape renders, so the ratio shows lock holds and CPU sharing, not cache hits.
        let single = LoadGenerator(port: e.uncachedPort, connections: 1)
        let samples = options.renderSamples
        let idle = await OffThread.run { single.run(until: .requests(samples)) }
        let stop = StopSignal()
        let store = e.store
        async let during = OffThread.run { single.run(until: .signal(stop)) }
        async let lockWaits = OffThread.run { Self.lockWaits(store, until: stop) }
        let started = clock.now
        await e.poller.pollOnce(e.config)
        let cycleSeconds = LoadGenerator.seconds(started.duration(to: clock.now))
        stop.fire()
        let busy = await during
        let waits = await lockWaits
        result.scrape = BenchResult.ScrapeDuringCycle(
            idleMedianMs: Stats.median(idle.latencies) * 1000, idleSamples: idle.latencies.count,
            duringMedianMs: Stats.median(busy.latencies) * 1000,
            duringMaxMs: (busy.latencies.max() ?? 0) * 1000, duringSamples: busy.latencies.count,
            cycleSeconds: cycleSeconds, lockWaitP99Ms: Stats.percentile(waits, 0.99) * 1000,
            lockWaitMaxMs: (waits.max() ?? 0) * 1000)
        if idle.errors + busy.errors > 0 {
            result.serve.errors += idle.errors + busy.errors
            result.serve.firstError = result.serve.firstError ?? idle.firstError ?? busy.firstError
        }
    }

    // MARK: Helpers

    /// How long taking a store snapshot waits, every millisecond until `stop`: the store lock's longest holds
    /// (a poller write that copies a target's runs because a scrape holds a snapshot shows here).
    static func lockWaits(_ store: MetricsStore, until stop: StopSignal) -> [Double] {
        var waits: [Double] = []
        let clock = ContinuousClock()
        while !stop.fired {
            let started = clock.now
            let snapshot = store.snapshot()
            waits.append(LoadGenerator.seconds(started.duration(to: clock.now)))
            withExtendedLifetime(snapshot) {}
            usleep(1000)
        }
        return waits
    }

    /// Median wall and thread-CPU time of `samples` calls of the handler, and a body.
    static func timeRenders(_ samples: Int, _ handle: HTTPServer.Handler, _ request: HTTPRequest)
        -> (BenchResult.Render, [UInt8]) {
        var walls: [Double] = [], cpus: [Double] = []
        let clock = ContinuousClock()
        // One untimed call first (lazy statics, the allocator's first growth); its body is what we count.
        var body = handle(request).body
        let size = body.count
        for _ in 0..<samples {
            body = []  // one body alive at a time, as when scrapes come one after another
            let cpu = ResourceUsage.threadCPUSeconds()
            let started = clock.now
            body = handle(request).body
            walls.append(LoadGenerator.seconds(started.duration(to: clock.now)))
            cpus.append(ResourceUsage.threadCPUSeconds() - cpu)
        }
        return (BenchResult.Render(medianMs: Stats.median(walls) * 1000, maxMs: (walls.max() ?? 0) * 1000,
                                   cpuMedianMs: Stats.median(cpus) * 1000, bytes: size, samples: samples), body)
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
        // Over the bytes, not a String of them: a 13 MB copy and its line array would be the benchmark's own peak.
        let prefix = Array("runstatus_poll_errors_total{".utf8)
        var total = 0.0
        for line in body.split(separator: UInt8(ascii: "\n")) where line.starts(with: prefix) {
            if let space = line.lastIndex(of: UInt8(ascii: " ")),
               let v = Double(String(decoding: line[line.index(after: space)...], as: UTF8.self)) { total += v }
        }
        return Int(total)
    }

    static func mb(_ bytes: Int) -> String { BenchTable.megabytes(bytes) }

    func progress(_ step: String) {
        FileHandle.standardError.write(Data("runstatus-bench: \(runs) runs: \(step)\n".utf8))
    }
}
