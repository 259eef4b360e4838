import Foundation
import RunStatusModel
import Synchronization
import TestSupport
import Testing
@testable import Configuration
@testable import CurlTransport
@testable import Logging
@testable import Polling
@testable import RunStatusExporter
@testable import RunStore
@testable import Serving

/// A transport that answers from a closure and records what was asked, so poller behaviour is tested without sockets.
final class FakeFetcher: Fetcher {
    let answer: @Sendable (URL, Int) async -> Result<VendorResponse, PollError>
    private let log = Mutex<[(url: String, headers: [String: String])]>([])

    init(_ answer: @escaping @Sendable (URL, Int) async -> Result<VendorResponse, PollError>) {
        self.answer = answer
    }

    var requests: [(url: String, headers: [String: String])] { log.withLock { $0 } }
    var count: Int { log.withLock { $0.count } }

    func get(_ url: URL, headers: [String: String], timeout: Double, maxBodyBytes: Int) async -> Result<VendorResponse, PollError> {
        let n = log.withLock { l in
            l.append((url.absoluteString, headers))
            return l.count
        }
        return await answer(url, n)
    }
}

@Suite struct PollerTests {
    static let nexioRunning = #"{"run_id":"r","status":"processing","environment":"test","created_at":"2026-04-01T18:19:38.851Z"}"#

    static func target(_ name: String = "nx", runs: [String], auth: AuthConfig = .none, interval: Double = 0.05) -> TargetConfig {
        TargetConfig(name: name, vendor: .nexio, url: "http://vendor.invalid", auth: auth, runs: runs.map { RunConfig(id: $0) },
                     pollInterval: interval, terminalPollInterval: 600, timeout: 1)
    }

    @Test func retryAfterIsHonoured() async {
        let fetcher = FakeFetcher { _, n in
            n == 1 ? .success(VendorResponse(status: 429, headers: ["Retry-After": "120"], text: #"{"code":"rate_limited","message":"slow down"}"#))
                   : .success(VendorResponse(status: 200, text: Self.nexioRunning))
        }
        let clock = ManualClock(1_800_000_000)
        var config = ExporterConfig(targets: [Self.target(runs: ["a", "b", "c"])])
        config.maxConcurrency = 1
        let store = MetricsStore(config: config)
        let poller = Poller(store: store, fetcher: fetcher, logger: LogCapture().logger, now: clock.closure)
        poller.start(config)
        // The 429 came first; the rest of that cycle (b and c: 2) and every later one (b and c again, each) waited.
        // Waiting for three later cycles to have been held back shows time passing without sleeping on it.
        let held = await eventually(timeout: 30) { store.snapshot().targets[0].rateLimitWaits >= 2 + 3 * 2 }
        await poller.stop()
        #expect(held)
        #expect(fetcher.count == 1)
        let t = store.snapshot().targets[0]
        #expect(t.errors[PollErrorReason.allCases.firstIndex(of: .rateLimited)!] == 1)

        // Once the wait is over, polling resumes.
        let fetcher2 = FakeFetcher { _, n in
            n == 1 ? .success(VendorResponse(status: 429, headers: ["Retry-After": "120"], text: "{}"))
                   : .success(VendorResponse(status: 200, text: Self.nexioRunning))
        }
        let clock2 = ManualClock(1_800_000_000)
        let store2 = MetricsStore(config: config)
        // The rate budget keeps its own (monotonic) clock for the vendor's wait: it moves with the test's clock here.
        let poller2 = Poller(store: store2, fetcher: fetcher2, logger: LogCapture().logger, now: clock2.closure, monotonic: clock2.closure)
        poller2.start(config)
        // Later cycles came and were held back: the second poller has not resumed while the clock stands still.
        let held2 = await eventually(timeout: 30) { store2.snapshot().targets[0].rateLimitWaits >= 2 + 3 * 2 }
        #expect(held2)
        #expect(fetcher2.count == 1)
        clock2.set(1_800_000_121)
        let resumed = await eventually(timeout: 30) { fetcher2.count >= 4 }
        await poller2.stop()
        #expect(resumed)
    }

    @Test func lastGoodObservationSurvivesABrokenAnswer() async {
        let fetcher = FakeFetcher { _, n in
            n == 1 ? .success(VendorResponse(status: 200, text: Self.nexioRunning))
                   : .success(VendorResponse(status: 200, headers: ["Content-Type": "text/html"], text: "<html><body>Bad gateway</body></html>"))
        }
        let clock = ManualClock(1_800_000_000)
        let config = ExporterConfig(targets: [Self.target(runs: ["r"])])
        let store = MetricsStore(config: config)
        let poller = Poller(store: store, fetcher: fetcher, logger: LogCapture().logger, now: clock.closure)
        poller.start(config)
        _ = await eventually(timeout: 30) { fetcher.count >= 1 }
        clock.set(1_800_000_001)
        let broken = await eventually(timeout: 30) { fetcher.count >= 2 }
        await poller.stop()
        #expect(broken)
        let t = store.snapshot().targets[0]
        #expect(t.runs[0].observation?.state == .running)
        #expect(t.runs[0].observation?.vendorState == "processing")
        #expect(t.errors[PollErrorReason.allCases.firstIndex(of: .decode)!] >= 1)
    }

    @Test func oneSlowTargetDoesNotHoldUpAnother() async {
        let fetcher = FakeFetcher { url, _ in
            if url.host == "slow.invalid" {
                try? await Task.sleep(for: .seconds(1))
                return .failure(PollError(.timeout, "request timed out"))
            }
            return .success(VendorResponse(status: 200, text: Self.nexioRunning))
        }
        let clock = ManualClock(1_800_000_000)
        var slow = Self.target("slow", runs: (0..<20).map { "s\($0)" })
        slow.url = "http://slow.invalid"
        let fast = Self.target("fast", runs: ["f"])
        var config = ExporterConfig(targets: [slow, fast])
        config.maxConcurrency = 4
        let store = MetricsStore(config: config)
        let poller = Poller(store: store, fetcher: fetcher, logger: LogCapture().logger, now: clock.closure)
        poller.start(config)
        // The slow target fills every concurrency slot but one request per slot; the fast one still gets through.
        let fastPolled = await eventually(timeout: 30) {
            store.snapshot().targets[1].runs[0].observation != nil
        }
        await poller.stop()
        #expect(fastPolled)
    }

    @Test func credentialsFileIsReadOnEveryCycle() async throws {
        let dir = try TemporaryDirectory(prefix: "runstatus-cred")
        defer { dir.remove() }
        let file = dir.url.appending(path: "token")
        try "first-token\n".write(to: file, atomically: true, encoding: .utf8)
        let fetcher = FakeFetcher { _, _ in .success(VendorResponse(status: 200, text: Self.nexioRunning)) }
        let clock = ManualClock(1_800_000_000)
        let config = ExporterConfig(targets: [Self.target(runs: ["r"], auth: .bearer(.file(file.path)))])
        let store = MetricsStore(config: config)
        let poller = Poller(store: store, fetcher: fetcher, logger: LogCapture().logger, now: clock.closure)
        poller.start(config)
        _ = await eventually(timeout: 30) { fetcher.count >= 1 }
        try "rotated-token".write(to: file, atomically: true, encoding: .utf8)
        clock.set(1_800_000_010)
        _ = await eventually(timeout: 30) { fetcher.count >= 2 }
        await poller.stop()
        let auths = fetcher.requests.map { $0.headers["Authorization"] }
        #expect(auths.first == "Bearer first-token")
        #expect(auths.last == "Bearer rotated-token")
    }

    @Test func maxConcurrencyBoundsRequestsInFlight() async {
        let inFlight = Mutex<(now: Int, peak: Int)>((0, 0))
        let fetcher = FakeFetcher { _, _ in
            inFlight.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
            try? await Task.sleep(for: .milliseconds(20))
            inFlight.withLock { $0.now -= 1 }
            return .success(VendorResponse(status: 200, text: Self.nexioRunning))
        }
        var config = ExporterConfig(targets: [Self.target("a", runs: (0..<30).map { "a\($0)" }),
                                              Self.target("b", runs: (0..<30).map { "b\($0)" })])
        config.maxConcurrency = 3
        let store = MetricsStore(config: config)
        let poller = Poller(store: store, fetcher: fetcher, logger: LogCapture().logger, now: ManualClock(1_800_000_000).closure)
        poller.start(config)
        let done = await eventually(timeout: 30) { fetcher.count >= 60 }
        await poller.stop()
        #expect(done)
        #expect(inFlight.withLock { $0.peak } == 3)
        #expect(store.isReady)
    }
}
