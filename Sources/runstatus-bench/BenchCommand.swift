import ChildProcesses
import Configuration
import CurlTransport
import Demo
import Foundation
import Glibc
import HTTPServer
import Logging
import Polling
import RunStore
import Serving
import VendorSimulator

/// The three roles of the binary: the driver (default) starts one `--measure` child per N and prints the table;
/// a `--measure` child measures one N and prints its result as JSON; a `--serve-simulator` child serves the
/// simulated vendors until its stdin closes.
enum BenchCommand {
    static func run(_ arguments: [String]) async -> Int32 {
        let options: BenchOptions
        do {
            options = try BenchOptions.parse(arguments)
        } catch {
            printErr("runstatus-bench: \(error)\n\n" + BenchOptions.usage)
            return 2
        }
        if options.help {
            print(BenchOptions.usage, terminator: "")
            return 0
        }
        do {
            switch options.mode {
            case .drive: return try await drive(options)
            case .measure: return try await measure(options)
            case .serveSimulator: return try await serveSimulator(options)
            case .tlsLoad: return await tlsLoad(options)
            }
        } catch {
            printErr("runstatus-bench: \(error)\n")
            return 1
        }
    }

    // MARK: Driver

    static func drive(_ options: BenchOptions) async throws(BenchError) -> Int32 {
        if options.wrk && WrkLoad.executable == nil { throw BenchError("--load=wrk: wrk is not on the PATH") }
        print(Machine.describe())
        print("")
        print(BenchTable.header(clients: options.clients))
        fflush(nil)
        var results: [BenchResult] = []
        var failed = false
        for n in options.runs {
            let child = try PipedProcess.start(arguments: options.childArguments(runs: n))
            child.closeInput()
            let output = await OffThread.run { child.readToEnd() }
            let status = await OffThread.run { child.waitForExit() }
            let lastLine = String(decoding: output, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            guard status == 0, let result = try? JSONDecoder().decode(BenchResult.self, from: Data(lastLine.utf8)) else {
                printErr("runstatus-bench: the measurement of \(n) runs failed (exit status \(status))\n")
                failed = true
                continue
            }
            results.append(result)
            print(BenchTable.row(result))
            fflush(nil)
        }
        print("")
        for line in results.flatMap(BenchTable.notes) { print(line) }
        for line in results.flatMap(BenchTable.tlsLines) { print(line) }
        for line in TargetCheck.lines(results, clients: options.clients) { print(line) }
        if options.tls { for line in TargetCheck.tlsLines(results) { print(line) } }
        print("")
        print("Command: swift run -c release runstatus-bench " + options.commandLine)
        return failed ? 1 : 0
    }

    // MARK: Children

    static func measure(_ options: BenchOptions) async throws(BenchError) -> Int32 {
        guard options.runs.count == 1, let n = options.runs.first else { throw BenchError("--measure takes one --runs count") }
        let result = try await Measurement(options: options, runs: n).run()
        let json: Data
        do { json = try JSONEncoder().encode(result) } catch { throw BenchError("cannot encode the result: \(error)") }
        print(String(decoding: json, as: UTF8.self))
        fflush(nil)
        return 0
    }

    static func serveSimulator(_ options: BenchOptions) async throws(BenchError) -> Int32 {
        guard let start = options.start, let n = options.runs.first else {
            throw BenchError("--serve-simulator needs --start and --runs")
        }
        let simulator = VendorSimulator(scenario: .generated(runs: n, seed: options.seed, startingAt: start))
        let server: HTTPServer
        do { server = try simulator.serve(host: "127.0.0.1", port: 0) } catch {
            throw BenchError("cannot start the simulator: \(error)")
        }
        print("port=\(server.port)")
        fflush(nil)
        // Until the parent closes our stdin (or dies).
        _ = await OffThread.run {
            var byte: UInt8 = 0
            while true {
                let n = read(0, &byte, 1)
                if n == 0 || (n < 0 && errno != EINTR) { return 0 }
            }
        }
        await server.shutdown()
        return 0
    }

    /// Runs one TLS (or `--plaintext`) load against `--port` and prints its report as JSON; an `idle` load then
    /// keeps its connections open until the parent closes our stdin.
    static func tlsLoad(_ options: BenchOptions) async -> Int32 {
        guard let kind = options.tlsLoad else { return 2 }
        let load = TLSLoadGenerator(port: options.port, kind: kind,
                                    connections: kind == .idle ? options.idleTLSClients : options.clients,
                                    tls: !options.plaintextLoad, gzip: options.gzipLoad)
        let report = await OffThread.run { load.run(seconds: options.duration) }
        guard let json = try? JSONEncoder().encode(report) else { return 1 }
        print(String(decoding: json, as: UTF8.self))
        fflush(nil)
        if kind == .idle {
            _ = await OffThread.run {
                var byte: UInt8 = 0
                while true {
                    let n = read(0, &byte, 1)
                    if n == 0 || (n < 0 && errno != EINTR) { return 0 }
                }
            }
        }
        return 0
    }

    static func printErr(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

extension BenchOptions {
    /// The flags that differ from the defaults, to print the command that reproduces a table.
    var commandLine: String {
        var a: [String] = []
        if runs != [100, 1_000, 10_000] { a.append("--runs=" + runs.map(String.init).joined(separator: ",")) }
        if duration != 3 { a.append("--duration=\(duration)") }
        if clients != 32 { a.append("--clients=\(clients)") }
        if concurrency != ExporterConfig.defaultMaxConcurrency { a.append("--concurrency=\(concurrency)") }
        if renderSamples != 25 { a.append("--render-samples=\(renderSamples)") }
        if seed != 6 { a.append("--seed=\(seed)") }
        if logLevel != .info { a.append("--log.level=\(logLevel.name)") }
        if !renderCache { a.append("--no-render-cache") }
        if !memoryTuning { a.append("--no-memory-tuning") }
        if extraCycles > 0 { a.append("--extra-cycles=\(extraCycles)") }
        if replay { a.append("--fetcher=replay") }
        if wrk { a.append("--load=wrk") }
        if phases != Phase.all { a.append("--phases=" + Phase.allCases.filter(phases.contains).map(\.rawValue).joined(separator: ",")) }
        if tls { a.append("--tls") }
        if idleTLSClients != 1_000 { a.append("--tls-idle-clients=\(idleTLSClients)") }
        return a.joined(separator: " ")
    }
}

/// The machine a table was measured on.
enum Machine {
    static func describe() -> String {
        let cpus = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        var model = "unknown CPU"
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let colon = line.firstIndex(of: ":") {
            model = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var memory = "?"
        if let info = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
           let kb = Double(line.split(separator: " ").dropFirst().first ?? "") {
            memory = String(format: "%.1f GiB", kb / 1_048_576)
        }
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
            .split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        return "Machine: \(cpus) CPUs (\(model)), \(memory) memory, Linux, Swift \(BuildInfo.swiftVersion); "
            + "load average at start \(load)."
    }
}

/// The performance targets (README "Performance"), checked against the rows measured. A target whose phase did not run (`--phases`) or took
/// no sample says "not measured", never "meets": zeros are not figures.
enum TargetCheck {
    static func lines(_ results: [BenchResult], clients: Int) -> [String] {
        var out: [String] = []
        func check(_ measured: Bool, _ ok: @autoclosure () -> Bool, _ target: String, _ figures: @autoclosure () -> String,
                   missing: String) {
            out.append(measured ? "\(ok() ? "meets" : "MISSES"): \(target): \(figures())" : "not measured: \(target) (\(missing))")
        }
        if let r = results.first(where: { $0.runs == 10_000 }) {
            let rendered = r.render.samples > 0
            check(rendered, r.render.medianMs <= 50, "render at 10,000 runs ≤ 50 ms", BenchTable.ms(r.render.medianMs),
                  missing: "render phase not run")
            // Without the renders the peak leaves out a render's buffers: not the figure the target is about.
            check(rendered && r.memory.peakAloneBytes > 0, r.memory.peakAloneBytes < 64_000_000, "peak RSS at 10,000 runs < 64 MB",
                  BenchTable.megabytes(r.memory.peakAloneBytes), missing: "render phase not run")
            if clients >= 32 {
                check(r.memory.peakResetWorked && r.serve.responses > 0, r.memory.peakServeBytes < 64_000_000,
                      "peak RSS at 10,000 runs with \(clients) overlapping scrapes < 64 MB", BenchTable.megabytes(r.memory.peakServeBytes),
                      missing: r.serve.responses > 0 ? "the peak could not be reset before the serve phase" : "serve phase not run")
            }
        }
        // The CPU target is set for 10,000 runs. Smaller rows are printed for comparison: a cycle's fixed
        // costs (thread hand-offs, first-call symbol binding and conformance lookups) weigh more over fewer requests.
        for r in results {
            let figures = "\(BenchTable.us(r.firstCycle.cpuPerRequestMicroseconds)) first cycle, "
                + "\(BenchTable.us(r.steadyCycle.cpuPerRequestMicroseconds)) steady"
            if r.runs == 10_000 {
                check(r.firstCycle.requests > 0 && r.steadyCycle.requests > 0,
                      max(r.firstCycle.cpuPerRequestMicroseconds, r.steadyCycle.cpuPerRequestMicroseconds) < 150,
                      "exporter CPU per vendor request at 10,000 runs < 150 µs", figures, missing: "no vendor request made")
            } else {
                out.append("exporter CPU per vendor request at \(BenchTable.count(r.runs)) runs (no target): \(figures)")
            }
        }
        for r in results {
            check(r.scrape.idleSamples > 0 && r.scrape.duringSamples > 0, r.scrape.ratio <= 2,
                  "a scrape during a poll cycle at \(BenchTable.count(r.runs)) runs ≤ 2× idle",
                  "×\(BenchTable.fixed(r.scrape.ratio, 1)) (\(r.scrape.duringSamples) scrapes during a "
                  + "\(BenchTable.seconds(r.scrape.cycleSeconds)) cycle; longest store-lock wait "
                  + "\(BenchTable.ms(r.scrape.lockWaitMaxMs)), p99 \(BenchTable.ms(r.scrape.lockWaitP99Ms)))",
                  missing: r.scrape.idleSamples > 0 ? "no scrape completed during the cycle" : "scrape phase not run")
        }
        if let r = results.first(where: { $0.runs == 100 }), clients == 32 {
            check(r.serve.responses > 0, r.serve.responsesPerSecond >= 5_000, "≥ 5,000 responses/s at 100 runs from 32 clients",
                  "\(BenchTable.count(Int(r.serve.responsesPerSecond.rounded())))/s", missing: "serve phase not run")
        }
        if let small = results.min(by: { $0.runs < $1.runs }), let large = results.max(by: { $0.runs < $1.runs }),
           large.runs > small.runs {
            let perRun = Double(large.memory.afterCycleBytes - small.memory.afterCycleBytes) / Double(large.runs - small.runs)
            out.append("RSS per run, marginal from \(BenchTable.count(small.runs)) to \(BenchTable.count(large.runs)) runs "
                       + "(fixed costs cancel out): \(BenchTable.bytes(Int(perRun.rounded())))")
        }
        let perSeries = results.filter { $0.series > 0 && $0.render.samples > 0 }.map {
            "\(BenchTable.count($0.runs)) runs \(BenchTable.fixed($0.render.cpuMedianMs / Double($0.series) * 1e6, 0)) ns"
        }
        if perSeries.count > 1 {
            out.append("render CPU per series (flat when growth is linear): " + perSeries.joined(separator: ", "))
        }
        return out
    }
}
