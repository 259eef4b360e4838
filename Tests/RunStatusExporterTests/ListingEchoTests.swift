import Foundation
import RunStatusModel
import TestSupport
import Testing
@testable import Configuration
@testable import Polling
@testable import RunStore
@testable import Serving

/// A vendor's listing that echoes the token, through the poller, the store and the renderer.
@Suite struct ListingEchoTests {
    /// Through the poller: a vendor's list that echoes the token in a state and in a run id adds no label with it.
    @Test func aListingThatEchoesTheTokenPutsItInNoLabel() async {
        let token = "list-token-5e1"
        let fetcher = FakeFetcher { url, _ in
            if url.absoluteString.contains("/runs?") {
                return .success(VendorResponse(status: 200, text: #"""
                {"runs": [{"run_id": "ok1", "state": "RUNNING"}, {"run_id": "run-\#(token)", "state": "RUNNING"},
                          {"run_id": "ok2", "state": "denied \#(token)"}], "next_page_token": ""}
                """#))
            }
            if url.absoluteString.hasSuffix("/runs/ok2") {
                return .success(VendorResponse(status: 200, text: #"""
                {"run_id": "ok2", "state": "denied \#(token)", "run_log": {"start_time": "2026-01-15T09:00:00Z"}}
                """#))
            }
            return .success(VendorResponse(status: 404, text: "no"))
        }
        var target = TargetConfig(name: "w", vendor: .wes, url: "http://vendor.invalid/ga4gh/wes/v1", auth: .bearer(.inline(token)),
                                  runs: [], pollInterval: 60, terminalPollInterval: 600, timeout: 1, discover: DiscoveryConfig())
        target.rateLimit = nil
        let config = ExporterConfig(targets: [target])
        let store = MetricsStore(config: config)
        let logs = LogCapture()
        let poller = Poller(store: store, fetcher: fetcher, logger: logs.logger, now: ManualClock(1_800_000_000).closure)
        poller.start(config)
        let listed = await eventually(timeout: 30) {
            store.snapshot().targets[0].runs.contains { $0.runID == "ok2" && $0.observation != nil }
        }
        await poller.stop()
        #expect(listed, "\(fetcher.requests.map(\.url)) \(logs.all)")
        let runs = store.snapshot().targets[0].runs
        #expect(runs.map(\.runID).sorted() == ["ok1", "ok2"])
        let text = String(decoding: Routes(store: store, config: config).render(format: .text).body, as: UTF8.self)
        #expect(!text.contains(token), "\(text)")
        #expect(text.contains(#"vendor_state="denied [redacted]""#), "\(text)")
        for line in logs.all { #expect(!line.contains(token), "\(line)") }
    }
}
