import Foundation
import HTTPServer
import Synchronization
import TestSupport
import Testing
@testable import Serving

/// RenderCache, the driver of `RenderTurns` (whose decisions `RenderTurnsTests` check on a clock moved by hand):
/// one render per state, second and variant; never a stale body after the state changed; one large body alive at
/// a time. Each test here checks that something does happen, on real threads.
@Suite(.timeLimit(.minutes(1))) struct RenderCacheTests {
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

    /// The store's generation, moved by the test (the store itself: `RenderCacheStoreTests`).
    final class Generation: Sendable {
        private let value = Mutex<UInt64>(1)
        func bump() { value.withLock { $0 += 1 } }
        var closure: @Sendable () -> UInt64 { { [self] in value.withLock { $0 } } }
    }

    static func cache(generation: Generation = Generation(), now: @escaping @Sendable () -> Double,
                      drainThreshold: Int = 1 << 20, drainTimeout: Double = 1) -> RenderCache {
        RenderCache(generation: generation.closure, now: now, drainThreshold: drainThreshold, drainTimeout: drainTimeout)
    }

    static let get = HTTPRequest(method: "GET", target: "/metrics")

    @Test func sameStateAndSecondRendersOnce() {
        let renders = Renders()
        let cache = Self.cache(now: { 1_000.5 })
        let a = cache.response(for: Self.get, render: renders.render)
        let b = cache.response(for: Self.get, render: renders.render)
        #expect(renders.calls == 1)
        #expect(a.body == b.body)
    }

    @Test func aStoreChangeOrANewSecondRendersAgain() {
        let renders = Renders()
        let generation = Generation()
        let clock = Mutex(1_000.0)
        let cache = Self.cache(generation: generation, now: { clock.withLock { $0 } })
        _ = cache.response(for: Self.get, render: renders.render)
        generation.bump()
        let afterPoll = cache.response(for: Self.get, render: renders.render)
        #expect(renders.calls == 2)
        #expect(String(decoding: afterPoll.body, as: UTF8.self) == "render 2\n")
        generation.bump()
        _ = cache.response(for: Self.get, render: renders.render)
        #expect(renders.calls == 3)
        clock.withLock { $0 = 1_001.0 }
        _ = cache.response(for: Self.get, render: renders.render)
        #expect(renders.calls == 4)
    }

    @Test func eachFormatHasItsOwnBody() {
        let renders = Renders()
        let cache = Self.cache(now: { 7 })
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
        let cache = Self.cache(now: { 7 })
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
        let cache = Self.cache(now: { 42 })
        let slow: @Sendable (HTTPRequest) -> HTTPResponse = { request in
            usleep(20_000)  // widens the window in which the others arrive and wait (not needed for the result)
            return renders.render(request)
        }
        let bodies = await withTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    // A thread of its own: a waiting scrape blocks, as it does on the listener's workers.
                    await onThread { cache.response(for: Self.get, render: slow).body }
                }
            }
            var all: [[UInt8]] = []
            for await body in group { all.append(body) }
            return all
        }
        #expect(renders.calls == 1)
        #expect(Set(bodies).count == 1)
    }

    /// Holds a response as the server does while sending it (a class, so its lifetime is exactly as written).
    final class Sending: @unchecked Sendable {
        var response: HTTPResponse?
        init(_ response: HTTPResponse) { self.response = response }
    }

    /// A cache whose first body (of `first`, rendered at second 1,000) is still being sent, with the clock one second
    /// on: the next scrape must replace that body.
    struct BodyInFlight {
        let renders = Renders()
        let clock = ManualClock(1_000)
        let cache: RenderCache
        let sending: Sending

        init(first: HTTPRequest = RenderCacheTests.get, drainThreshold: Int = 0, drainTimeout: Double = 120) {
            cache = RenderCacheTests.cache(now: clock.closure, drainThreshold: drainThreshold, drainTimeout: drainTimeout)
            sending = Sending(cache.response(for: first, render: renders.render))
            clock.set(1_001)
        }

        /// A scrape on a thread of its own, as on the listener's workers (it may block in the cache).
        func scrape(_ request: HTTPRequest = RenderCacheTests.get) async -> HTTPResponse {
            let (cache, renders) = (cache, renders)
            return await onThread { cache.response(for: request, render: renders.render) }
        }
    }

    static let openMetrics = HTTPRequest(method: "GET", target: "/metrics",
                                         headers: [("Accept", "application/openmetrics-text;version=1.0.0")])

    /// The next second's render waits until the last response still sending the previous large body is done, so
    /// the two bodies are never alive together; once it is done, the render happens.
    @Test func aLargeBodyIsSentToTheEndBeforeTheNextRender() async throws {
        let s = BodyInFlight()
        let next = Task { await s.scrape() }
        try #require(await eventually { s.cache.isDraining }, "the next render never waited for the send in flight")
        #expect(s.renders.calls == 1, "rendered while the previous body was still being sent")
        s.sending.response = nil
        #expect(String(decoding: await next.value.body, as: UTF8.self) == "render 2\n")
    }

    /// A client that never finishes receiving holds the next render back for `drainTimeout` only: the render
    /// happens while that send is still going (`RenderTurnsTests` checks it waits until the timeout).
    @Test func aStuckClientDelaysTheNextRenderOnlyUntilTheTimeout() async {
        let s = BodyInFlight(drainTimeout: 0.2)
        let body = await s.scrape().body
        #expect(String(decoding: body, as: UTF8.self) == "render 2\n")
        #expect(s.sending.response != nil)
    }

    /// Another variant's body of an older state is no use to anyone: it goes, and its sends are waited for, before
    /// the render, so an OpenMetrics scraper and a text scraper do not keep two large bodies between them.
    @Test func anotherVariantsStaleBodyIsDrainedToo() async throws {
        let s = BodyInFlight(first: Self.openMetrics)
        let next = Task { await s.scrape() }
        try #require(await eventually { s.cache.isDraining }, "the next render never waited for the other variant's send")
        #expect(s.renders.calls == 1, "rendered while another variant's stale body was still being sent")
        s.sending.response = nil
        #expect(String(decoding: await next.value.body, as: UTF8.self) == "render 2\n")
    }

    /// A render that waited into the next second is cached under the second it rendered in: scrapes later in that
    /// second share it instead of rendering (and draining) again.
    @Test func aRenderIsKeyedByWhenItRanNotWhenItsScrapeArrived() async throws {
        let s = BodyInFlight()
        let next = Task { await s.scrape() }
        try #require(await eventually { s.cache.isDraining }, "the next render never waited for the send in flight")
        s.clock.set(1_002)
        s.sending.response = nil
        let waited = await next.value
        let later = await s.scrape()
        #expect(s.renders.calls == 2)
        #expect(later.body == waited.body)
    }

    /// Bodies under the threshold are replaced at once, their sends not even counted: nothing can hold the next
    /// render back (`RenderTurnsTests` checks the decision).
    @Test func smallBodiesAreNotDrained() async {
        let s = BodyInFlight(drainThreshold: 1 << 20, drainTimeout: 40)
        #expect(s.sending.response?.bodyOwner == nil, "a small body's send is counted")
        let body = await s.scrape().body
        #expect(String(decoding: body, as: UTF8.self) == "render 2\n")
        #expect(s.sending.response != nil)
    }

    /// Renders take turns, whatever their variants and keys: their bodies never add up.
    @Test func rendersNeverOverlap() async {
        let renders = Renders()
        let second = Mutex(0.0)
        // Every request sees a new second, so a scrape shares only a render that was in flight when it arrived.
        let cache = Self.cache(now: { second.withLock { $0 += 1; return $0 } })
        let active = Mutex((now: 0, most: 0))
        let render: @Sendable (HTTPRequest) -> HTTPResponse = { request in
            active.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
            usleep(2_000)
            defer { active.withLock { $0.now -= 1 } }
            return renders.render(request)
        }
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<8 {
                group.addTask {
                    await onThread {
                        for _ in 0..<5 { _ = cache.response(for: i.isMultiple(of: 2) ? Self.get : Self.openMetrics, render: render) }
                    }
                }
            }
        }
        #expect(active.withLock { $0.most } == 1)
    }
}
