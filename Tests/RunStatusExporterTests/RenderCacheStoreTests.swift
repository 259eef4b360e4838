import HTTPServer
import RunStatusModel
import Testing
@testable import Configuration
@testable import RunStore
@testable import Serving

/// The render cache keyed on a real store: every write to it (a poll's outcome, a cycle's end) makes the next
/// scrape render afresh; the rest of the cache is in `ServingTests`.
@Suite struct RenderCacheStoreTests {
    @Test func aStoreChangeRendersAgain() {
        let store = MetricsStore(config: ExporterConfig(targets: [
            TargetConfig(name: "t", vendor: .rsa, url: "http://127.0.0.1:9", runs: [RunConfig(id: "1")]),
        ]))
        var calls = 0
        let render: (HTTPRequest) -> HTTPResponse = { _ in
            calls += 1
            return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain")], body: Array("render \(calls)\n".utf8))
        }
        let cache = RenderCache(store: store, now: { 1_000 })
        let get = HTTPRequest(method: "GET", target: "/metrics")
        _ = cache.response(for: get, render: render)
        _ = cache.response(for: get, render: render)
        #expect(calls == 1)
        store.record(target: "t", runID: "1", outcome: .failed(.init(.timeout, "x")), latency: 0.1, at: 1_000)
        let afterPoll = cache.response(for: get, render: render)
        #expect(calls == 2)
        #expect(String(decoding: afterPoll.body, as: UTF8.self) == "render 2\n")
        store.finishCycle(target: "t", reached: true, authFailed: false)
        _ = cache.response(for: get, render: render)
        #expect(calls == 3)
    }
}
