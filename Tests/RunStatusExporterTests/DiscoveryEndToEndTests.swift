import ChildProcesses
import Foundation
import HTTPServer
import RunStatusModel
import TestSupport
import Testing
import VendorSimulator
@testable import Configuration
@testable import CurlTransport
@testable import Logging
@testable import Polling
@testable import RunStatusExporter
@testable import RunStore
@testable import Serving

/// Discovery, the rate budget, the series cap and sharding for real: simulator on a loopback port → poller → store.
@Suite(.serialized) struct DiscoveryEndToEndTests {
    static let t0 = 1_767_225_600.0  // 2026-01-01T00:00:00Z

    struct Running {
        let simulator: VendorSimulator
        let simulatorServer: HTTPServer
        let store: MetricsStore
        let poller: Poller
        let logs: LogCapture
        let clock: ManualClock?
        let config: ExporterConfig

        /// What /metrics would serve now, parsed.
        func metrics() -> [String: Double] {
            let routes = Routes(store: store, config: ExporterConfig(targets: []), now: DiscoveryEndToEndTests.now(clock))
            return parseExposition(String(decoding: routes.render(format: .text).body, as: UTF8.self))
        }

        /// The run ids with a `runstatus_run_state` series, by target.
        func exportedRuns() -> [String: Set<String>] {
            var out: [String: Set<String>] = [:]
            for key in metrics().keys where key.hasPrefix("runstatus_run_state{") {
                guard let target = Self.label("target", in: key), let run = Self.label("run_id", in: key) else { continue }
                out[target, default: []].insert(run)
            }
            return out
        }

        static func label(_ name: String, in series: String) -> String? {
            guard let r = series.range(of: "\(name)=\"") else { return nil }
            return String(series[r.upperBound...].prefix { $0 != "\"" })
        }
    }

    static func now(_ clock: ManualClock?) -> @Sendable () -> Double {
        if let clock { return clock.closure }
        return { Date().timeIntervalSince1970 }
    }

    /// Runs `body` against a started poller and always stops it. `clockAt` nil: the real clock.
    static func withExporter(_ scenario: SimulatorScenario, clockAt: Double?, shard: Shard = .all,
                             config: (String) -> ExporterConfig, _ body: (Running) async throws -> Void) async throws {
        let clock = clockAt.map(ManualClock.init)
        let now = Self.now(clock)
        let simulator = VendorSimulator(scenario: scenario, now: now)
        let server = try simulator.serve()
        let cfg = config("http://127.0.0.1:\(server.port)")
        let logs = LogCapture()
        let store = MetricsStore(config: cfg, shard: shard)
        let poller = Poller(store: store, fetcher: CurlFetcher(), logger: logs.logger, now: now)
        poller.start(cfg)
        let running = Running(simulator: simulator, simulatorServer: server, store: store, poller: poller, logs: logs,
                              clock: clock, config: cfg)
        do {
            let ready = await eventually { store.isReady }
            #expect(ready, "the first cycle never ended")
            try await body(running)
        } catch {
            await poller.stop()
            server.stop()
            throw error
        }
        await poller.stop()
        server.stop()
    }

    static func wes(_ id: String, _ offset: Double, _ script: [(after: Double, state: String)]) -> SimulatedRun {
        SimulatedRun(vendor: "wes", id: id, startOffset: offset, script: script)
    }

    static func target(_ name: String, _ vendor: Vendor, _ url: String, runs: [String] = [], discover: DiscoveryConfig?,
                       rateLimit: RateLimit? = nil, poll: Double = 0.2) -> TargetConfig {
        var t = TargetConfig(name: name, vendor: vendor, url: url, runs: runs.map { RunConfig(id: $0) }, pollInterval: poll,
                             terminalPollInterval: 600, timeout: 5, discover: discover)
        t.rateLimit = rateLimit
        return t
    }

    // MARK: Discovery

    @Test func discoveryFindsEveryRunAcrossPages() async throws {
        var runs: [SimulatedRun] = (0..<7).map { i in
            Self.wes("wes-\(i)", -Double(100 * (i + 1)), i % 2 == 0 ? [(0, "RUNNING")] : [(0, "RUNNING"), (50, "COMPLETE")])
        }
        runs += (0..<5).map { i in
            SimulatedRun(vendor: "instabase", id: "ib-\(i)", startOffset: -Double(60 * (i + 1)), script: [(0, "RUNNING"), (100, "COMPLETE")])
        }
        runs += [("7/1", -30.0), ("7/2", -20), ("7/3", -10), ("8/1", -15), ("8/2", -5), ("9/1", -5)].map { id, offset in
            SimulatedRun(vendor: "sequentum", id: id, startOffset: offset, script: [(0, "1"), (12, "9")])
        }
        var scenario = SimulatorScenario(start: Self.t0, runs: runs)
        scenario.recordsRequests = true
        try await Self.withExporter(scenario, clockAt: Self.t0 + 1) { base in
            ExporterConfig(targets: [
                Self.target("cav", .wes, base + "/ga4gh/wes/v1", discover: DiscoveryConfig(pageSize: 2)),
                Self.target("ib", .instabase, base, discover: DiscoveryConfig(maxAge: 3600, pageSize: 2)),
                // Sequentum's default budget spreads 100 a minute: two list calls take 0.6 s.
                Self.target("seq", .sequentum, base, discover: DiscoveryConfig(agents: [7, 8]), rateLimit: RateLimit(requests: 100, per: 60),
                            poll: 5),
            ])
        } _: { r in
            let all = await eventually { r.exportedRuns()["seq"]?.count == 5 && r.exportedRuns()["cav"]?.count == 7 }
            #expect(all, "\(r.logs.all.joined(separator: "\n"))")
            let exported = r.exportedRuns()
            #expect(exported["cav"] == Set((0..<7).map { "wes-\($0)" }))
            #expect(exported["ib"] == Set((0..<5).map { "ib-\($0)" }))
            // Agent 9 is not configured: its run is not found.
            #expect(exported["seq"] == ["7/1", "7/2", "7/3", "8/1", "8/2"])
            let m = r.metrics()
            #expect(m["runstatus_discovered_runs{vendor=\"wes\",target=\"cav\"}"] == 7)
            #expect(m["runstatus_discovered_runs{vendor=\"instabase\",target=\"ib\"}"] == 5)
            #expect(m["runstatus_discovered_runs{vendor=\"sequentum\",target=\"seq\"}"] == 5)
            // The landing page counts the runs tracked, not only the (here no) configured ones.
            let landing = String(decoding: Routes(store: r.store, config: r.config).handle(HTTPRequest(method: "GET", target: "/")).body,
                                 as: UTF8.self)
            #expect(landing.contains("<td>7 (0 configured, the rest discovered)</td>"), "\(landing)")
            // Values come from the lists themselves where they carry whole runs.
            #expect(m["runstatus_run_state{vendor=\"sequentum\",target=\"seq\",run_id=\"7/1\",state=\"succeeded\"}"] == 1)
            #expect(m["runstatus_run_state{vendor=\"sequentum\",target=\"seq\",run_id=\"8/2\",state=\"running\"}"] == 1)
            #expect(m["runstatus_run_state{vendor=\"instabase\",target=\"ib\",run_id=\"ib-0\",state=\"running\"}"] == 1)
            #expect(abs((m["runstatus_run_duration_seconds{vendor=\"instabase\",target=\"ib\",run_id=\"ib-0\"}"] ?? 0) - 61) < 0.01)
            // WES lists states only: the times come from each run's details call.
            #expect(m["runstatus_run_start_timestamp_seconds{vendor=\"wes\",target=\"cav\",run_id=\"wes-1\"}"] == Self.t0 - 200)
            #expect(m["runstatus_run_end_timestamp_seconds{vendor=\"wes\",target=\"cav\",run_id=\"wes-1\"}"] == Self.t0 - 150)

            let log = r.simulator.requestLog
            // Paging crossed at least three pages: 7 runs, 2 a page, the last token empty.
            let wesPages = log.filter { $0.target.hasPrefix("/ga4gh/wes/v1/runs?page_size=2") }
            #expect(wesPages.count >= 4)
            #expect(wesPages.prefix(4).map { $0.target.contains("page_token=") } == [false, true, true, true])
            let ibPages = log.filter { $0.target.hasPrefix("/api/v2/apps/runs?") }.prefix(3).map(\.target)
            #expect(ibPages == ["/api/v2/apps/runs?from_timestamp=\(Int(Self.t0) + 1 - 3600)&limit=2&offset=0",
                                "/api/v2/apps/runs?from_timestamp=\(Int(Self.t0) + 1 - 3600)&limit=2&offset=2",
                                "/api/v2/apps/runs?from_timestamp=\(Int(Self.t0) + 1 - 3600)&limit=2&offset=4"])
            #expect(log.filter { $0.target.hasPrefix("/api/v1/agent/") }.prefix(2).map(\.target)
                == ["/api/v1/agent/7/runs?maxRecords=500", "/api/v1/agent/8/runs?maxRecords=500"])
            // The lists that carry whole runs spared every per-run call; where WES listed a state, the details call
            // alone (state and times) did.
            #expect(!log.contains { $0.target.hasSuffix("/status") })
            #expect(log.filter { $0.target.hasPrefix("/ga4gh/wes/v1/runs/") }.count == 7)
            #expect(!log.contains { $0.target.hasPrefix("/api/v2/apps/runs/") || $0.target.contains("/run/") })
            #expect(log.allSatisfy { $0.status == 200 })
        }
    }

    @Test func runsLeaveWithTheWindowWhileCountersKeepTheirCounts() async throws {
        // Newest first: n3 (created at +300) pushes the oldest (o1) out of a window of three.
        let scenario = SimulatorScenario(start: Self.t0, runs: [
            Self.wes("o1", -300, [(0, "RUNNING"), (260, "COMPLETE")]),
            Self.wes("o2", -200, [(0, "RUNNING")]),
            Self.wes("o3", -100, [(0, "RUNNING")]),
            Self.wes("n3", 300, [(0, "RUNNING")]),
        ])
        try await Self.withExporter(scenario, clockAt: Self.t0 - 50) { base in
            ExporterConfig(targets: [Self.target("cav", .wes, base + "/ga4gh/wes/v1", discover: DiscoveryConfig(maxRuns: 3, maxAge: 3600))])
        } _: { r in
            let first = await eventually { r.exportedRuns()["cav"] == ["o1", "o2", "o3"] }
            #expect(first, "\(r.exportedRuns())")
            // o1 completes while watched: counted once.
            r.clock!.set(Self.t0 - 50 + 60)
            let finished = await eventually {
                r.metrics()["runstatus_runs_finished_total{vendor=\"wes\",target=\"cav\",state=\"succeeded\"}"] == 1
            }
            #expect(finished)
            r.clock!.set(Self.t0 + 400)
            let moved = await eventually { r.exportedRuns()["cav"] == ["n3", "o2", "o3"] }
            #expect(moved, "\(r.exportedRuns())")
            let m = r.metrics()
            #expect(m["runstatus_runs_finished_total{vendor=\"wes\",target=\"cav\",state=\"succeeded\"}"] == 1)
            #expect(m["runstatus_discovered_runs{vendor=\"wes\",target=\"cav\"}"] == 3)
            #expect(m["runstatus_runs{vendor=\"wes\",target=\"cav\",state=\"succeeded\"}"] == 0)
            #expect(r.logs.all.contains { $0.contains("discovered runs") && $0.contains("removed=1") })
        }
    }

    @Test func wes11RunSummariesNeedNoCallPerRun() async throws {
        var scenario = SimulatorScenario(start: Self.t0, runs: [
            Self.wes("a", -300, [(0, "RUNNING"), (100, "COMPLETE")]),
            Self.wes("b", -50, [(0, "QUEUED"), (20, "RUNNING")]),
        ])
        scenario.wesListsRunSummaries = true
        scenario.recordsRequests = true
        try await Self.withExporter(scenario, clockAt: Self.t0) { base in
            ExporterConfig(targets: [Self.target("cav", .wes, base + "/ga4gh/wes/v1", discover: DiscoveryConfig())])
        } _: { r in
            let m = r.metrics()
            #expect(m["runstatus_run_start_timestamp_seconds{vendor=\"wes\",target=\"cav\",run_id=\"a\"}"] == Self.t0 - 300)
            #expect(m["runstatus_run_end_timestamp_seconds{vendor=\"wes\",target=\"cav\",run_id=\"a\"}"] == Self.t0 - 200)
            #expect(m["runstatus_run_duration_seconds{vendor=\"wes\",target=\"cav\",run_id=\"b\"}"] == 30)
            #expect(r.simulator.requestLog.map(\.target) == ["/ga4gh/wes/v1/runs?page_size=100"])
        }
    }

    @Test func instabaseKeepsTheNewestRunsOfItsOldestFirstList() async throws {
        var scenario = SimulatorScenario(start: Self.t0, runs: (0..<6).map { i in
            SimulatedRun(vendor: "instabase", id: "ib-\(i)", startOffset: -Double(100 * (6 - i)), script: [(0, "RUNNING")])
        })
        scenario.recordsRequests = true
        try await Self.withExporter(scenario, clockAt: Self.t0) { base in
            ExporterConfig(targets: [Self.target("ib", .instabase, base, discover: DiscoveryConfig(maxRuns: 3, pageSize: 2))])
        } _: { r in
            // ib-0 is the oldest; the list is read to its end (three full pages, then an empty one) and the newest three stay.
            #expect(r.exportedRuns()["ib"] == ["ib-3", "ib-4", "ib-5"])
            #expect(r.simulator.requestLog.filter { $0.target.hasPrefix("/api/v2/apps/runs?") }.map { $0.target.suffix(8) }
                == ["offset=0", "offset=2", "offset=4", "offset=6"])
        }
    }

    // MARK: Rate budget


    @Test func rateBudgetHoldsUnderTenRequestsPerSecond() async throws {
        // The real clock: the limit is about time as it passes. 12 runs, 4 a page: 3 list calls, then a details call
        // per run (the list said the state), 15 requests at least, more than the vendor allows in one second.
        let start = Date().timeIntervalSince1970
        var scenario = SimulatorScenario(start: start, runs: (0..<12).map { Self.wes("r\($0)", -60, [(0, "RUNNING")]) })
        scenario.rateLimits = ["wes": SimulatedRateLimit(requests: 10, per: 1)]
        scenario.recordsRequests = true
        try await Self.withExporter(scenario, clockAt: nil) { base in
            ExporterConfig(targets: [Self.target("cav", .wes, base + "/ga4gh/wes/v1", discover: DiscoveryConfig(interval: 60, pageSize: 4),
                                                 rateLimit: RateLimit(requests: 10, per: 1), poll: 1)])
        } _: { r in
            let all = await eventually(timeout: 30) {
                r.metrics().keys.filter { $0.hasPrefix("runstatus_run_start_timestamp_seconds") }.count == 12
            }
            #expect(all)
            let log = r.simulator.requestLog
            #expect(log.count >= 15)
            #expect(r.simulator.rateLimitedCount == 0, "the vendor answered 429: \(log.filter { $0.status == 429 }.count) times")
            #expect(busiestWindow(log.map(\.time), per: 1) <= 10)
            let m = r.metrics()
            #expect((m["runstatus_rate_limit_waits_total{vendor=\"wes\",target=\"cav\"}"] ?? 0) > 0)
            #expect(m["runstatus_poll_errors_total{vendor=\"wes\",target=\"cav\",reason=\"rate_limited\"}"] == 0)
        }
    }

    // MARK: Series cap

    @Test func seriesCapHolds() async throws {
        let scenario = SimulatorScenario(start: Self.t0, runs: (0..<20).map { i in
            Self.wes("r\(i)", -Double(10 * (i + 1)), [(0, "RUNNING")])
        })
        let cap = SeriesBudget.perTarget(discovery: true) + 5 * SeriesBudget.perRun
        try await Self.withExporter(scenario, clockAt: Self.t0) { base in
            ExporterConfig(maxSeries: cap, targets: [Self.target("cav", .wes, base + "/ga4gh/wes/v1", discover: DiscoveryConfig(pageSize: 50))])
        } _: { r in
            let filled = await eventually { r.metrics()["runstatus_series_dropped_total{vendor=\"wes\",target=\"cav\"}"] ?? 0 > 0 }
            #expect(filled)
            let m = r.metrics()
            // The five newest (the list's order) stay; fifteen are refused and counted once each.
            #expect(r.exportedRuns()["cav"] == Set((0..<5).map { "r\($0)" }))
            #expect(m["runstatus_series_dropped_total{vendor=\"wes\",target=\"cav\"}"] == Double(15 * SeriesBudget.perRun))
            let counted = m.keys.filter { $0.hasPrefix("runstatus_") && !$0.hasPrefix("runstatus_build") && !$0.hasPrefix("runstatus_config")
                && !$0.hasPrefix("runstatus_http") }
            #expect(counted.count <= cap)
            #expect(r.logs.all.contains { $0.contains("refused_for_max_series=15") })
        }
    }

    // MARK: Sharding

    @Test func threeShardsCoverEveryRunOnce() async throws {
        var runs = (0..<30).map { Self.wes("w\($0)", -Double($0 + 1), [(0, "RUNNING")]) }
        runs += (0..<12).map { i in
            SimulatedRun(vendor: "nexio", id: String(format: "00000000-0000-4000-8000-%012d", i), script: [(0, "processing")])
        }
        let scenario = SimulatorScenario(start: Self.t0, runs: runs)
        var seen: [String: Int] = [:]
        for index in 0..<3 {
            try await Self.withExporter(scenario, clockAt: Self.t0 + 1, shard: Shard(index: index, total: 3)!) { base in
                ExporterConfig(targets: [
                    Self.target("cav", .wes, base + "/ga4gh/wes/v1", discover: DiscoveryConfig(pageSize: 7)),
                    Self.target("nx", .nexio, base, runs: scenario.runIDs(for: "nexio"), discover: nil),
                ])
            } _: { r in
                // Every run this shard keeps has been polled once the first cycle is over.
                let exported = r.exportedRuns()
                for (target, ids) in exported {
                    for id in ids { seen["\(target)/\(id)", default: 0] += 1 }
                }
                #expect(r.logs.all.contains { $0.contains("sharding") && $0.contains("shard=\(index)") })
            }
        }
        #expect(seen.count == 42, "runs lost: \(42 - seen.count)")
        #expect(seen.values.allSatisfy { $0 == 1 }, "runs seen twice: \(seen.filter { $0.value > 1 }.keys.sorted())")
    }
}

/// The new families pass `promtool check metrics` with no lint finding.
@Suite struct DiscoveryPromtoolTests {
    @Test(.requires(.promtool))
    func discoveryFamiliesPassPromtoolLint() async throws {
        let t0 = DiscoveryEndToEndTests.t0
        let scenario = SimulatorScenario(start: t0, runs: (0..<6).map { i in
            DiscoveryEndToEndTests.wes("r\(i)", -Double(10 * (i + 1)), [(0, "RUNNING"), (5, "COMPLETE")])
        })
        let cap = SeriesBudget.perTarget(discovery: true) * 2 + 3 * SeriesBudget.perRun
        try await DiscoveryEndToEndTests.withExporter(scenario, clockAt: t0) { base in
            ExporterConfig(maxSeries: cap, targets: [
                DiscoveryEndToEndTests.target("cav", .wes, base + "/ga4gh/wes/v1", discover: DiscoveryConfig(pageSize: 2),
                                              rateLimit: RateLimit(requests: 1000, per: 1)),
                DiscoveryEndToEndTests.target("quiet", .wes, base + "/ga4gh/wes/v1", discover: DiscoveryConfig(), poll: 0.2),
            ].enumerated().map { i, t in
                var t = t
                t.perRunMetrics = i == 0
                return t
            })
        } _: { r in
            let body = String(decoding: Routes(store: r.store, config: ExporterConfig(targets: []), now: r.clock!.closure)
                .render(format: .text).body, as: UTF8.self)
            #expect(body.contains("runstatus_discovered_runs{") && body.contains("runstatus_series_dropped_total{")
                && body.contains("runstatus_rate_limit_waits_total{"))
            let (status, text) = try await SpawnedProcess.run(Program.promtool.path!, ["check", "metrics"], input: Array(body.utf8))
            #expect(status == 0, "promtool check metrics failed:\n\(text)")
            #expect(text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool lint findings:\n\(text)")
        }
    }
}
