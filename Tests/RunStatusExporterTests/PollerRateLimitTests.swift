import Foundation
import RunStatusModel
import TestSupport
import Testing
@testable import Configuration
@testable import CurlTransport
@testable import Logging
@testable import Polling
@testable import RunStatusExporter
@testable import RunStore
@testable import Serving

/// `runstatus_rate_limit_waits_total` counts every request the target's budget or the vendor's own headers held
/// back: made to wait, or left for a later cycle because its turn lies past the cycle.
@Suite struct PollerRateLimitTests {
    static let start = 1_800_000_000.0

    static func waits(_ store: MetricsStore) -> UInt64 { store.snapshot().targets[0].rateLimitWaits }

    /// One target of three runs, one request at a time, so each answer is seen before the next request is weighed.
    static func setUp(_ fetcher: FakeFetcher) -> (Poller, MetricsStore, ExporterConfig, ManualClock) {
        var config = ExporterConfig(targets: [PollerTests.target(runs: ["a", "b", "c"], interval: 30)])
        config.maxConcurrency = 1
        let clock = ManualClock(start)
        let store = MetricsStore(config: config)
        // The budget's monotonic clock is the test's clock too: nothing here waits in real time.
        let poller = Poller(store: store, fetcher: fetcher, logger: LogCapture().logger, now: clock.closure, monotonic: clock.closure)
        // The budgets `start` installs, without the loops: the test drives the cycles itself.
        poller.installBudgets(config)
        return (poller, store, config, clock)
    }

    @Test func exhaustedVendorWindowCountsEveryDeferredRequest() async {
        // The vendor says nothing remains until an hour from now (Nexio's X-RateLimit-* headers).
        let fetcher = FakeFetcher { _, _ in
            .success(VendorResponse(status: 200, headers: ["X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "3600"],
                                    text: PollerTests.nexioRunning))
        }
        let (poller, store, config, clock) = Self.setUp(fetcher)
        let limiter = ConcurrencyLimiter(limit: 1)
        _ = await poller.cycle(config.targets[0], config: config, limiter: limiter)
        // The first request went out; the other two were deferred past the cycle.
        #expect(fetcher.count == 1)
        #expect(Self.waits(store) == 2)
        // Every later cycle within the hour defers all three.
        for k in 1...3 {
            clock.set(Self.start + 30 * Double(k))
            _ = await poller.cycle(config.targets[0], config: config, limiter: limiter)
        }
        #expect(fetcher.count == 1)
        #expect(Self.waits(store) == 2 + 3 * 3)
    }

    @Test func retryAfterCountsTheRequestsItHoldsBack() async {
        let fetcher = FakeFetcher { _, n in
            n == 1 ? .success(VendorResponse(status: 429, headers: ["Retry-After": "120"], text: #"{"message":"slow down"}"#))
                   : .success(VendorResponse(status: 200, text: PollerTests.nexioRunning))
        }
        let (poller, store, config, _) = Self.setUp(fetcher)
        _ = await poller.cycle(config.targets[0], config: config, limiter: ConcurrencyLimiter(limit: 1))
        #expect(fetcher.count == 1)
        #expect(Self.waits(store) == 2)
    }

    @Test func aCycleSkippedForRetryAfterCountsItsDuePolls() async {
        let fetcher = FakeFetcher { _, n in
            n == 1 ? .success(VendorResponse(status: 429, headers: ["Retry-After": "120"], text: #"{"message":"slow down"}"#))
                   : .success(VendorResponse(status: 200, text: PollerTests.nexioRunning))
        }
        var config = ExporterConfig(targets: [PollerTests.target(runs: ["a", "b", "c"], interval: 0.05)])
        config.maxConcurrency = 1
        let clock = ManualClock(Self.start)
        let store = MetricsStore(config: config)
        let poller = Poller(store: store, fetcher: fetcher, logger: LogCapture().logger, now: clock.closure, monotonic: clock.closure)
        poller.start(config)
        // First cycle: 2 held by the 429's wait; each later cycle (skipped, the clock stands still) holds the two
        // runs never polled again.
        let counted = await eventually(timeout: 30) { Self.waits(store) >= 6 }
        await poller.stop()
        #expect(counted)
        #expect(Self.waits(store) % 2 == 0)
        #expect(fetcher.count == 1)
    }
}
