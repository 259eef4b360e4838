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

/// A reload cancels the loops of the old config while their requests are in flight: the exporter caused that, not
/// the vendor, so nothing of it may show in the error counters (nor as polls that never completed).
@Suite struct PollerReloadTests {
    /// Hangs every request while `hang` is set, until its Task is cancelled, then fails the way `CurlFetcher` fails a
    /// cancelled transfer; answers at once otherwise.
    final class HangingFetcher: Fetcher {
        private let state = Mutex<(hang: Bool, hanging: Int, answered: Int)>((true, 0, 0))
        var hanging: Int { state.withLock { $0.hanging } }
        var answered: Int { state.withLock { $0.answered } }
        func stopHanging() { state.withLock { $0.hang = false } }

        func get(_ url: URL, headers: [String: String], timeout: Double, maxBodyBytes: Int) async -> Result<VendorResponse, PollError> {
            let hang = state.withLock { s -> Bool in
                if s.hang { s.hanging += 1 } else { s.answered += 1 }
                return s.hang
            }
            guard hang else { return .success(VendorResponse(status: 200, text: PollerTests.nexioRunning)) }
            try? await Task.sleep(for: .seconds(3600))  // ends at once when the Task is cancelled
            return .failure(CurlFetcher.cancelledError)
        }
    }

    @Test func concurrentReloadsCountNoErrorAndNoUnfinishedPoll() async {
        let fetcher = HangingFetcher()
        let clock = ManualClock(1_800_000_000)
        var config = ExporterConfig(targets: [PollerTests.target(runs: ["a", "b", "c"])])
        config.maxConcurrency = 4
        let store = MetricsStore(config: config)
        let poller = Poller(store: store, fetcher: fetcher, logger: LogCapture().logger, now: clock.closure)
        poller.start(config)
        // Every run's request is in flight when the reloads come.
        #expect(await eventually(timeout: 30) { fetcher.hanging == 3 })
        fetcher.stopHanging()
        let reloaded = config
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<50 { group.addTask { poller.start(reloaded) } }
        }
        // The last config's loop polls the three runs again (the clock stands still: once each).
        #expect(await eventually(timeout: 30) { store.snapshot().targets[0].runs.allSatisfy { $0.observation != nil } })
        // Waits for every loop, those the reloads cancelled included, so whatever they would count is counted.
        await poller.stop()
        let t = store.snapshot().targets[0]
        for (i, reason) in PollErrorReason.allCases.enumerated() {
            #expect(t.errors[i] == 0, "reason \(reason.rawValue)")
        }
        // Only answered requests count as polls; the three cut by the reload do not.
        #expect(t.polls == UInt64(fetcher.answered))
        #expect(t.pollDuration.count == UInt64(fetcher.answered))
    }
}
