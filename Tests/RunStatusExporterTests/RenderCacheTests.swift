import Foundation
import HTTPServer
import RunStatusModel
import Synchronization
import Testing
@testable import RunStatusExporter

/// RenderCache: one render per state, second and variant; never a stale body after the state changed.
struct RenderCacheTests {
    final class Renders: Sendable {
        private let count = Mutex(0)
        let status: Int
        init(status: Int = 200) { self.status = status }
        var calls: Int { count.withLock { $0 } }
        /// Each render answers a distinct body, so a shared one is recognizable.
        func render(_ request: HTTPRequest) -> HTTPResponse {
            let n = count.withLock { c -> Int in c += 1; return c }
            return HTTPResponse(status: status, headers: [("Content-Type", "text/plain")], body: Array("render \(n)\n".utf8))
        }
    }

    static func store() -> MetricsStore {
        MetricsStore(config: ExporterConfig(targets: [
            TargetConfig(name: "t", vendor: .rsa, url: "http://127.0.0.1:9", runs: [RunConfig(id: "1")]),
        ]))
    }

    static let get = HTTPRequest(method: "GET", target: "/metrics")

    @Test func sameStateAndSecondRendersOnce() {
        let renders = Renders()
        let cache = RenderCache(store: Self.store(), now: { 1_000.5 })
        let a = cache.response(for: Self.get, render: renders.render)
        let b = cache.response(for: Self.get, render: renders.render)
        #expect(renders.calls == 1)
        #expect(a.body == b.body)
    }

    @Test func aStoreChangeOrANewSecondRendersAgain() {
        let renders = Renders()
        let store = Self.store()
        let clock = Mutex(1_000.0)
        let cache = RenderCache(store: store, now: { clock.withLock { $0 } })
        _ = cache.response(for: Self.get, render: renders.render)
        store.record(target: "t", runID: "1", outcome: .failed(.init(.timeout, "x")), latency: 0.1, at: 1_000)
        let afterPoll = cache.response(for: Self.get, render: renders.render)
        #expect(renders.calls == 2)
        #expect(String(decoding: afterPoll.body, as: UTF8.self) == "render 2\n")
        store.finishCycle(target: "t", reached: true, authFailed: false)
        _ = cache.response(for: Self.get, render: renders.render)
        #expect(renders.calls == 3)
        clock.withLock { $0 = 1_001.0 }
        _ = cache.response(for: Self.get, render: renders.render)
        #expect(renders.calls == 4)
    }

    @Test func eachFormatHasItsOwnBody() {
        let renders = Renders()
        let cache = RenderCache(store: Self.store(), now: { 7 })
        let openMetrics = HTTPRequest(method: "GET", target: "/metrics",
                                      headers: [("Accept", "application/openmetrics-text;version=1.0.0")])
        let text = cache.response(for: Self.get, render: renders.render)
        let om = cache.response(for: openMetrics, render: renders.render)
        #expect(renders.calls == 2)
        #expect(text.body != om.body)
        #expect(cache.response(for: openMetrics, render: renders.render).body == om.body)
        #expect(renders.calls == 2)
    }

    @Test func onlySuccessfulGetsAreShared() {
        let failing = Renders(status: 500)
        let cache = RenderCache(store: Self.store(), now: { 7 })
        _ = cache.response(for: Self.get, render: failing.render)
        _ = cache.response(for: Self.get, render: failing.render)
        #expect(failing.calls == 2)
        let renders = Renders()
        let post = HTTPRequest(method: "POST", target: "/metrics")
        _ = cache.response(for: post, render: renders.render)
        _ = cache.response(for: post, render: renders.render)
        #expect(renders.calls == 2)
    }

    /// Concurrent scrapes of one state share one render, however their calls interleave.
    @Test func concurrentScrapesShareOneRender() async {
        let renders = Renders()
        let cache = RenderCache(store: Self.store(), now: { 42 })
        let slow: @Sendable (HTTPRequest) -> HTTPResponse = { request in
            usleep(20_000)  // widens the window in which the others arrive and wait (not needed for the result)
            return renders.render(request)
        }
        let bodies = await withTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    // A thread of its own: a waiting scrape blocks, as it does on the listener's workers.
                    await withCheckedContinuation { continuation in
                        Thread { continuation.resume(returning: cache.response(for: Self.get, render: slow).body) }.start()
                    }
                }
            }
            var all: [[UInt8]] = []
            for await body in group { all.append(body) }
            return all
        }
        #expect(renders.calls == 1)
        #expect(Set(bodies).count == 1)
    }
}
