import ChildProcesses
import Foundation
import HTTPServer
import TestSupport
import Testing
import VendorSimulator
import Demo
@testable import Configuration
@testable import CurlTransport
@testable import Logging
@testable import Polling
@testable import RunStatusExporter
@testable import RunStore
@testable import Serving

/// simulator → poller → /metrics → parse, for real on loopback ports, with one clock so values are exact.
@Suite(.serialized) struct EndToEndTests {
    static let t0 = 1_767_225_600.0  // 2026-01-01T00:00:00Z

    static func scenario() -> SimulatorScenario {
        func run(_ v: String, _ id: String, _ script: [(after: Double, state: String)], fault: SimulatorFault? = nil) -> SimulatedRun {
            SimulatedRun(vendor: v, id: id, startOffset: 0, script: script, fault: fault)
        }
        return SimulatorScenario(start: t0, runs: [
            run("rsa", "1001", [(0, "Running"), (100, "Completed")]),
            run("rsa", "1002", [(0, "Running"), (50, "Aborted")]),
            run("rsa", "1005", [(0, "Running")], fault: .httpError(404)),
            run("sequentum", "7/70", [(0, "1"), (200, "6")]),
            run("instabase", "a1b2c3d4-e5f6-7890-abcd-ef1234567890", [(0, "RUNNING"), (1500, "COMPLETE")]),
            run("wes", "40a9c1a6-9263-4982-a574-e494f7c4b621", [(0, "QUEUED"), (10, "RUNNING"), (300, "COMPLETE")]),
            run("nexio", "990d0fae-dc17-43af-aaed-ff8b580c17ab", [(0, "queued"), (5, "processing"), (400, "degraded")]),
        ], credentials: ["rsa": "rsa-secret-1", "sequentum": "seq-secret-2", "instabase": "ib-secret-3",
                         "wes": "wes-secret-4", "nexio": "nx_test_secret5"])
    }

    struct Running {
        let clock: ManualClock
        let simulatorServer: HTTPServer
        let server: HTTPServer
        let poller: Poller
        let base: String
        let logs: LogCapture

        func metrics() async throws -> [String: Double] {
            let (status, _, body) = try await httpGet(base + "/metrics")
            #expect(status == 200)
            return parseExposition(body)
        }

        func stop() async {
            await poller.stop()
            server.stop()
            simulatorServer.stop()
        }
    }

    /// Runs `body` against a started exporter and always stops it.
    static func withExporter(_ scenario: SimulatorScenario, clockAt: Double, mutate: (inout ExporterConfig) -> Void = { _ in },
                             _ body: (Running) async throws -> Void) async throws {
        let r = try await start(scenario, clockAt: clockAt, mutate: mutate)
        do {
            try await body(r)
        } catch {
            await r.stop()
            throw error
        }
        await r.stop()
    }

    static func start(_ scenario: SimulatorScenario, clockAt: Double, mutate: (inout ExporterConfig) -> Void = { _ in }) async throws -> Running {
        let clock = ManualClock(clockAt)
        let simulator = VendorSimulator(scenario: scenario, now: clock.closure)
        let simServer = try simulator.serve()
        var config = DemoMode.config(for: scenario, baseURL: "http://127.0.0.1:\(simServer.port)", pollInterval: 0.2,
                                     terminalPollInterval: 600, timeout: 5)
        mutate(&config)
        let logs = LogCapture()
        let store = MetricsStore(config: config)
        let poller = Poller(store: store, fetcher: CurlFetcher(), logger: logs.logger, now: clock.closure)
        let routes = Routes(store: store, config: config, now: clock.closure)
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: { routes.handle($0) })
        let port = try server.start()
        poller.start(config)
        let base = "http://127.0.0.1:\(port)"
        let ready = try await eventually { try await httpGet(base + "/-/ready").0 == 200 }
        #expect(ready, "exporter never became ready")
        return Running(clock: clock, simulatorServer: simServer, server: server, poller: poller, base: base, logs: logs)
    }

    @Test func firstCycleExactValues() async throws {
        let t0 = Self.t0
        try await Self.withExporter(Self.scenario(), clockAt: t0 + 1000) { r in
            let m = try await r.metrics()
            func run(_ vendor: String, _ id: String) -> String { "vendor=\"\(vendor)\",target=\"demo-\(vendor)\",run_id=\"\(id)\"" }
            func state(_ labels: String, _ s: String) -> Double? { m["runstatus_run_state{\(labels),state=\"\(s)\"}"] }

            let rsa1 = run("rsa", "1001"), rsa2 = run("rsa", "1002"), rsa5 = run("rsa", "1005")
            #expect(state(rsa1, "succeeded") == 1 && state(rsa1, "running") == 0)
            #expect(m["runstatus_run_info{\(rsa1),vendor_state=\"Completed\"}"] == 1)
            #expect(m["runstatus_run_start_timestamp_seconds{\(rsa1)}"] == t0)
            #expect(m["runstatus_run_end_timestamp_seconds{\(rsa1)}"] == t0 + 100)
            #expect(m["runstatus_run_duration_seconds{\(rsa1)}"] == 100)
            // Aborted: the end time is RSA's placeholder, so no end and no duration.
            #expect(state(rsa2, "failed") == 1)
            #expect(m["runstatus_run_info{\(rsa2),vendor_state=\"Aborted\"}"] == 1)
            #expect(m["runstatus_run_end_timestamp_seconds{\(rsa2)}"] == nil)
            #expect(m["runstatus_run_duration_seconds{\(rsa2)}"] == nil)
            // A run the API answers 404 for: unknown, counted as not_found, the target still up.
            #expect(state(rsa5, "unknown") == 1)
            let rsaT = "vendor=\"rsa\",target=\"demo-rsa\""
            #expect(m["runstatus_poll_errors_total{\(rsaT),reason=\"not_found\"}"] == 1)
            #expect(m["runstatus_poll_errors_total{\(rsaT),reason=\"timeout\"}"] == 0)
            #expect(m["runstatus_polls_total{\(rsaT)}"] == 3)
            #expect(m["runstatus_up{\(rsaT)}"] == 1)
            #expect(m["runstatus_runs{\(rsaT),state=\"succeeded\"}"] == 1)
            #expect(m["runstatus_runs{\(rsaT),state=\"failed\"}"] == 1)
            #expect(m["runstatus_runs{\(rsaT),state=\"unknown\"}"] == 1)
            #expect(m["runstatus_runs{\(rsaT),state=\"paused\"}"] == 0)

            let seq = run("sequentum", "7/70")
            #expect(state(seq, "failed") == 1)
            #expect(m["runstatus_run_info{\(seq),vendor_state=\"Failure\"}"] == 1)
            #expect(m["runstatus_run_duration_seconds{\(seq)}"] == 200)
            #expect(m["runstatus_run_reported_duration_seconds{\(seq)}"] == 200)
            #expect((m["runstatus_run_reported_errors{\(seq)}"] ?? 0) >= 1)

            let ib = run("instabase", "a1b2c3d4-e5f6-7890-abcd-ef1234567890")
            #expect(state(ib, "running") == 1)
            // Instabase's nanosecond times carry sub-second digits: exact to the microsecond.
            #expect(abs((m["runstatus_run_duration_seconds{\(ib)}"] ?? 0) - 1000) < 1e-6)
            #expect(m["runstatus_run_end_timestamp_seconds{\(ib)}"] == nil)

            // WES: times come from the details call; two requests for a new run.
            let wes = run("wes", "40a9c1a6-9263-4982-a574-e494f7c4b621")
            #expect(state(wes, "succeeded") == 1)
            #expect(m["runstatus_run_start_timestamp_seconds{\(wes)}"] == t0 + 10)
            #expect(m["runstatus_run_duration_seconds{\(wes)}"] == 290)
            #expect(m["runstatus_polls_total{vendor=\"wes\",target=\"demo-wes\"}"] == 2)

            let nx = run("nexio", "990d0fae-dc17-43af-aaed-ff8b580c17ab")
            #expect(state(nx, "succeeded") == 1)
            #expect(m["runstatus_run_info{\(nx),vendor_state=\"degraded\"}"] == 1)
            #expect(m["runstatus_run_start_timestamp_seconds{\(nx)}"] == t0)
            #expect(m["runstatus_run_duration_seconds{\(nx)}"] == 400)
            #expect(m["runstatus_run_reported_duration_seconds{\(nx)}"] == 395)

            // Runs first seen already finished are not counted as finishing.
            #expect(m["runstatus_runs_finished_total{\(rsaT),state=\"succeeded\"}"] == 0)
            #expect(m["runstatus_build_info{version=\"\(BuildInfo.version)\",revision=\"\(BuildInfo.revision)\",swift_version=\"\(BuildInfo.swiftVersion)\"}"] == 1)
            #expect((m["process_resident_memory_bytes"] ?? 0) > 0)
        }
    }

    @Test func runEnteringTerminalStateIsCountedOnce() async throws {
        let t0 = Self.t0
        try await Self.withExporter(Self.scenario(), clockAt: t0 + 1000) { r in
            let ibT = "vendor=\"instabase\",target=\"demo-instabase\""
            let ib = "\(ibT),run_id=\"a1b2c3d4-e5f6-7890-abcd-ef1234567890\""
            r.clock.set(t0 + 1600)
            let moved = try await eventually { try await r.metrics()["runstatus_run_state{\(ib),state=\"succeeded\"}"] == 1 }
            #expect(moved)
            var m = try await r.metrics()
            #expect(m["runstatus_runs_finished_total{\(ibT),state=\"succeeded\"}"] == 1)
            #expect(m["runstatus_finished_run_duration_seconds_count{\(ibT),state=\"succeeded\"}"] == 1)
            #expect(abs((m["runstatus_finished_run_duration_seconds_sum{\(ibT),state=\"succeeded\"}"] ?? 0) - 1500) < 1e-6)
            #expect(m["runstatus_finished_run_duration_seconds_bucket{\(ibT),state=\"succeeded\",le=\"1800\"}"] == 1)
            #expect(m["runstatus_finished_run_duration_seconds_bucket{\(ibT),state=\"succeeded\",le=\"900\"}"] == 0)
            #expect(abs((m["runstatus_run_end_timestamp_seconds{\(ib)}"] ?? 0) - (t0 + 1500)) < 1e-6)
            // A later look at the finished run (terminal interval passed) does not count it again.
            r.clock.set(t0 + 2300)
            let polledAgain = try await eventually { try await r.metrics()["runstatus_polls_total{\(ibT)}"] ?? 0 >= 3 }
            #expect(polledAgain)
            m = try await r.metrics()
            #expect(m["runstatus_runs_finished_total{\(ibT),state=\"succeeded\"}"] == 1)
        }
    }

    @Test func wrongCredentialsMeanUnauthorizedAndDown() async throws {
        try await Self.withExporter(Self.scenario(), clockAt: Self.t0 + 1000, mutate: { config in
            config.targets[0].auth = .bearer(.inline("wrong-token"))
        }) { r in
            let m = try await r.metrics()
            let rsaT = "vendor=\"rsa\",target=\"demo-rsa\""
            #expect(m["runstatus_up{\(rsaT)}"] == 0)
            #expect(m["runstatus_poll_errors_total{\(rsaT),reason=\"unauthorized\"}"] == 3)
            // The other targets carry on.
            #expect(m["runstatus_up{vendor=\"nexio\",target=\"demo-nexio\"}"] == 1)
        }
    }

    @Test func noSecretReachesMetricsPagesOrLogs() async throws {
        let scenario = Self.scenario()
        try await Self.withExporter(scenario, clockAt: Self.t0 + 1000, mutate: { config in
            config.targets[1].auth = .apiKey(.inline("wrong-seq-secret"))
        }) { r in
            var texts = [try await httpGet(r.base + "/metrics").2, try await httpGet(r.base + "/").2,
                         try await httpGet(r.base + "/metrics", headers: ["Accept": "application/openmetrics-text;version=1.0.0"]).2]
            texts.append(contentsOf: r.logs.all)
            let secrets = scenario.credentials.values + ["wrong-seq-secret"]
            for text in texts {
                for secret in secrets { #expect(!text.contains(secret), "secret leaked into: \(text.prefix(200))") }
            }
            #expect(r.logs.all.contains { $0.contains("unauthorized") })
        }
    }

    @Test func routesProbesAndMethods() async throws {
        try await Self.withExporter(Self.scenario(), clockAt: Self.t0 + 1000) { r in
            #expect(try await httpGet(r.base + "/-/healthy").0 == 200)
            #expect(try await httpGet(r.base + "/-/ready").0 == 200)
            #expect(try await httpGet(r.base + "/nope").0 == 404)
            let post = try await httpGet(r.base + "/metrics", method: "POST")
            #expect(post.0 == 405 && post.1["allow"] == "GET, HEAD")
            let head = try await httpGet(r.base + "/metrics", method: "HEAD")
            #expect(head.0 == 200 && head.2.isEmpty && head.1["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            let landing = try await httpGet(r.base + "/")
            #expect(landing.0 == 200 && landing.2.contains("demo-wes") && landing.2.contains("href=\"/metrics\""))
            let m = try await r.metrics()
            #expect((m["runstatus_http_requests_total{handler=\"/-/healthy\",code=\"200\"}"] ?? 0) >= 1)
            #expect((m["runstatus_http_requests_total{handler=\"/metrics\",code=\"405\"}"] ?? 0) == 1)
        }
    }
}

/// `promtool check metrics` on real output: format errors and lint findings both fail.
@Suite struct PromtoolTests {
    @Test(.requires(.promtool))
    func realOutputPassesPromtoolLint() async throws {
        try await EndToEndTests.withExporter(EndToEndTests.scenario(), clockAt: EndToEndTests.t0 + 1000) { r in
            _ = try await httpGet(r.base + "/nope")  // so http_requests_total has a 404 series too
            let body = try await httpGet(r.base + "/metrics").2
            let (status, text) = try await SpawnedProcess.run(Program.promtool.path!, ["check", "metrics"], input: Array(body.utf8))
            #expect(status == 0, "promtool check metrics failed:\n\(text)")
            #expect(text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool lint findings:\n\(text)")
        }
    }
}
