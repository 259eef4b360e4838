import Testing
@testable import Serving

/// The render cache's decisions on a clock moved by hand: who shares, who renders, what goes first, how long a
/// render waits for sends. Nothing here sleeps: what must not happen yet is a decision read at a given `now`.
@Suite struct RenderTurnsTests {
    typealias Key = RenderTurns.Key
    static let text = ScrapeVariant(format: .text, gzip: false)
    static let openMetrics = ScrapeVariant(format: .openMetrics, gzip: false)
    static let gzipText = ScrapeVariant(format: .text, gzip: true)
    /// A large body: drained before it is replaced (threshold 1 KiB in these tests).
    static let large = 4096
    static let small = 100

    let t0 = ContinuousClock.now
    func at(_ seconds: Double) -> ContinuousClock.Instant { t0 + .milliseconds(Int((seconds * 1000).rounded())) }

    static func key(second: Int64, generation: UInt64 = 1, extra: UInt64 = 0) -> Key {
        Key(generation: generation, extra: extra, second: second)
    }

    /// The state machine in a box, so `#expect` can evaluate its events (it captures no `inout` value).
    final class Turns {
        var state: RenderTurns
        init(_ state: RenderTurns) { self.state = state }
        var inFlight: [UInt64: Int] { state.inFlight }
        func arrival(of variant: ScrapeVariant, key: Key) -> RenderTurns.Scrape { state.arrival(of: variant, key: key) }
        func decide(_ scrape: RenderTurns.Scrape) -> RenderTurns.Decision { state.decide(scrape) }
        func beginTurn(current: Key, now: ContinuousClock.Instant) -> RenderTurns.Turn { state.beginTurn(current: current, now: now) }
        func draining(now: ContinuousClock.Instant) -> ContinuousClock.Instant? { state.draining(now: now) }
        func renderFinished(key: Key, cached: Bool, size: Int) -> RenderTurns.Served? {
            state.renderFinished(key: key, cached: cached, size: size)
        }
        func sendDone(body: UInt64) -> Bool { state.sendDone(body: body) }
    }

    static func turns(drainTimeout: Duration = .seconds(1)) -> Turns {
        Turns(RenderTurns(drainThreshold: 1024, drainTimeout: drainTimeout))
    }

    /// One whole render by the scrape `variant` at `key`, with no drain expected; its served body.
    @discardableResult
    func render(_ turns: Turns, _ variant: ScrapeVariant = text, at key: Key, size: Int = small,
                cached: Bool = true) -> RenderTurns.Served? {
        let scrape = turns.arrival(of: variant, key: key)
        #expect(turns.decide(scrape) == .render)
        #expect(turns.beginTurn(current: key, now: at(0)).drainUntil == nil)
        return turns.renderFinished(key: key, cached: cached, size: size)
    }

    @Test func theKeysSecondIsTheWholeSecondOfNow() {
        #expect(Key(generation: 3, extra: 4, now: 1_000.999) == Key(generation: 3, extra: 4, second: 1_000))
        #expect(Key(generation: 3, extra: 4, now: 1_001.0) == Key(generation: 3, extra: 4, second: 1_001))
    }

    @Test func sameStateAndSecondShareOneBody() {
        let turns = Self.turns()
        let first = render(turns, at: Self.key(second: 1_000))
        #expect(first == RenderTurns.Served(body: 1, counted: false))
        let again = turns.arrival(of: Self.text, key: Self.key(second: 1_000))
        #expect(turns.decide(again) == .serve(body: 1, counted: false))
    }

    /// Any change of the store's generation, the owner's counters or the second makes the next scrape render.
    @Test func aStoreChangeOrANewSecondRendersAgain() {
        let turns = Self.turns()
        render(turns, at: Self.key(second: 1_000))
        for changed in [Self.key(second: 1_000, generation: 2), Self.key(second: 1_000, extra: 1), Self.key(second: 1_001)] {
            #expect(turns.decide(turns.arrival(of: Self.text, key: changed)) == .render, "shared across \(changed)")
            let turn = turns.beginTurn(current: changed, now: at(0))
            #expect(turn.drop.count == 1, "the previous body stays")
            _ = turns.renderFinished(key: changed, cached: true, size: Self.small)
        }
    }

    @Test func eachVariantHasItsOwnBody() {
        let turns = Self.turns()
        let key = Self.key(second: 7)
        let text = render(turns, Self.text, at: key)
        #expect(turns.decide(turns.arrival(of: Self.openMetrics, key: key)) == .render)
        // Another variant's body of the current state stays: its scrapes can still use it.
        #expect(turns.beginTurn(current: key, now: at(0)).drop.isEmpty)
        let openMetrics = turns.renderFinished(key: key, cached: true, size: Self.small)
        #expect(text?.body != openMetrics?.body)
        render(turns, Self.gzipText, at: key)
        #expect(turns.decide(turns.arrival(of: Self.openMetrics, key: key)) == .serve(body: openMetrics!.body, counted: false))
        #expect(turns.decide(turns.arrival(of: Self.text, key: key)) == .serve(body: text!.body, counted: false))
    }

    /// Only 200 answers are shared: after a failed render the next scrape renders again.
    @Test func aFailedRenderIsNotShared() {
        let turns = Self.turns()
        let key = Self.key(second: 7)
        #expect(render(turns, at: key, cached: false) == nil)
        #expect(turns.decide(turns.arrival(of: Self.text, key: key)) == .render)
    }

    /// Scrapes arriving during a render wait for it and share its body, even when it shows a later second.
    @Test func scrapesArrivingDuringARenderShareIt() {
        let turns = Self.turns()
        let key = Self.key(second: 42)
        let first = turns.arrival(of: Self.text, key: key)
        #expect(turns.decide(first) == .render)
        _ = turns.beginTurn(current: key, now: at(0))
        let waiters = (0..<7).map { _ in turns.arrival(of: Self.text, key: key) }
        for waiter in waiters { #expect(turns.decide(waiter) == .waitForRender) }
        let served = turns.renderFinished(key: Self.key(second: 43), cached: true, size: Self.small)
        for waiter in waiters { #expect(turns.decide(waiter) == .serve(body: served!.body, counted: false)) }
        // One that arrives after, at its arrival's second, renders: that body is of another second.
        #expect(turns.decide(turns.arrival(of: Self.text, key: key)) == .render)
    }

    /// A waiter whose render failed takes the next turn itself.
    @Test func aWaiterRendersWhenTheRenderItWaitedForFailed() {
        let turns = Self.turns()
        let key = Self.key(second: 42)
        #expect(turns.decide(turns.arrival(of: Self.text, key: key)) == .render)
        _ = turns.beginTurn(current: key, now: at(0))
        let waiter = turns.arrival(of: Self.text, key: key)
        #expect(turns.decide(waiter) == .waitForRender)
        _ = turns.renderFinished(key: key, cached: false, size: Self.small)
        #expect(turns.decide(waiter) == .render)
    }

    /// Renders take turns whatever their variants and keys: their bodies never add up.
    @Test func rendersTakeTurns() {
        let turns = Self.turns()
        #expect(turns.decide(turns.arrival(of: Self.text, key: Self.key(second: 1))) == .render)
        _ = turns.beginTurn(current: Self.key(second: 1), now: at(0))
        let other = turns.arrival(of: Self.openMetrics, key: Self.key(second: 2, generation: 9))
        #expect(turns.decide(other) == .waitForRender)
        #expect(turns.decide(turns.arrival(of: Self.gzipText, key: Self.key(second: 3))) == .waitForRender)
        _ = turns.renderFinished(key: Self.key(second: 1), cached: true, size: Self.small)
        #expect(turns.decide(other) == .render)
        #expect(turns.decide(turns.arrival(of: Self.text, key: Self.key(second: 1))) == .serve(body: 1, counted: false))
        #expect(turns.decide(turns.arrival(of: Self.gzipText, key: Self.key(second: 3))) == .waitForRender)
    }

    /// The next second's render waits until the last send of the previous large body is done, so the two bodies
    /// are never alive together.
    @Test func aLargeBodyIsSentToTheEndBeforeTheNextRender() {
        let turns = Self.turns()
        let served = render(turns, at: Self.key(second: 1_000), size: Self.large)
        #expect(served == RenderTurns.Served(body: 1, counted: true))
        // A second send of the same body.
        #expect(turns.decide(turns.arrival(of: Self.text, key: Self.key(second: 1_000))) == .serve(body: 1, counted: true))

        let next = Self.key(second: 1_001)
        #expect(turns.decide(turns.arrival(of: Self.text, key: next)) == .render)
        let turn = turns.beginTurn(current: next, now: at(0))
        #expect(turn == RenderTurns.Turn(drop: [1], drainUntil: at(1)))
        #expect(turns.draining(now: at(0.5)) == at(1), "rendered while the previous body was still being sent")
        #expect(turns.sendDone(body: 1) == false, "one send of the body is still in flight")
        #expect(turns.draining(now: at(0.5)) == at(1), "rendered while the previous body was still being sent")
        #expect(turns.sendDone(body: 1) == true)
        #expect(turns.draining(now: at(0.5)) == nil)
        #expect(turns.renderFinished(key: next, cached: true, size: Self.large) == RenderTurns.Served(body: 2, counted: true))
    }

    /// Another variant's body of an older state is no use to anyone: it goes, and its sends are waited for, before
    /// the render, so an OpenMetrics scraper and a text scraper do not keep two large bodies between them.
    @Test func anotherVariantsStaleBodyIsDrainedToo() {
        let turns = Self.turns()
        render(turns, Self.openMetrics, at: Self.key(second: 1_000), size: Self.large)
        let next = Self.key(second: 1_001)
        #expect(turns.decide(turns.arrival(of: Self.text, key: next)) == .render)
        #expect(turns.beginTurn(current: next, now: at(0)) == RenderTurns.Turn(drop: [1], drainUntil: at(1)))
        #expect(turns.draining(now: at(0.999)) == at(1), "rendered while another variant's stale body was still being sent")
        #expect(turns.sendDone(body: 1))
        #expect(turns.draining(now: at(0.999)) == nil)
        // The OpenMetrics scraper renders anew.
        _ = turns.renderFinished(key: next, cached: true, size: Self.large)
        #expect(turns.decide(turns.arrival(of: Self.openMetrics, key: next)) == .render)
    }

    /// A client that never finishes receiving holds the next render back for `drainTimeout` only; its send
    /// still counts.
    @Test func aStuckClientDelaysTheNextRenderOnlyUntilTheTimeout() {
        let turns = Self.turns(drainTimeout: .milliseconds(200))
        render(turns, at: Self.key(second: 1_000), size: Self.large)
        let next = Self.key(second: 1_001)
        #expect(turns.decide(turns.arrival(of: Self.text, key: next)) == .render)
        #expect(turns.beginTurn(current: next, now: at(10)).drainUntil == at(10.2))
        #expect(turns.draining(now: at(10)) == at(10.2), "did not wait for the send in flight")
        #expect(turns.draining(now: at(10.199)) == at(10.2), "did not wait for the send in flight")
        #expect(turns.draining(now: at(10.2)) == nil)
        #expect(turns.inFlight[1] == 1)
        #expect(turns.renderFinished(key: next, cached: true, size: Self.large)?.body == 2)
        // The stuck send ends at last: its count goes, the new body's stays.
        #expect(turns.sendDone(body: 1))
        #expect(turns.inFlight == [2: 1])
    }

    /// Bodies under the threshold are replaced at once: waiting would cost more than the memory saved. Their
    /// sends are not even counted.
    @Test func smallBodiesAreNotDrained() {
        let turns = Self.turns(drainTimeout: .seconds(40))
        #expect(render(turns, at: Self.key(second: 1_000), size: 1023)?.counted == false)
        #expect(turns.inFlight.isEmpty)
        let next = Self.key(second: 1_001)
        #expect(turns.decide(turns.arrival(of: Self.text, key: next)) == .render)
        #expect(turns.beginTurn(current: next, now: at(0)) == RenderTurns.Turn(drop: [1], drainUntil: nil))
        #expect(turns.draining(now: at(0)) == nil)
    }

    /// A large body whose sends are all done is dropped without a wait.
    @Test func aLargeBodyNoLongerBeingSentIsNotWaitedFor() {
        let turns = Self.turns()
        render(turns, at: Self.key(second: 1_000), size: Self.large)
        #expect(turns.sendDone(body: 1))
        let next = Self.key(second: 1_001)
        #expect(turns.decide(turns.arrival(of: Self.text, key: next)) == .render)
        #expect(turns.beginTurn(current: next, now: at(0)) == RenderTurns.Turn(drop: [1], drainUntil: nil))
    }

    /// A render that waited into the next second is cached under the key it ran with (the driver reads it after
    /// the wait): scrapes later in that second share it instead of rendering (and draining) again.
    @Test func aRenderIsKeyedByWhenItRanNotWhenItsScrapeArrived() {
        let turns = Self.turns()
        render(turns, at: Self.key(second: 1_000), size: Self.large)
        let arrived = Self.key(second: 1_001)
        #expect(turns.decide(turns.arrival(of: Self.text, key: arrived)) == .render)
        _ = turns.beginTurn(current: arrived, now: at(0))
        #expect(turns.draining(now: at(0.9)) != nil)
        #expect(turns.sendDone(body: 1))
        #expect(turns.draining(now: at(0.9)) == nil)
        let ran = Self.key(second: 1_002)
        let served = turns.renderFinished(key: ran, cached: true, size: Self.large)
        #expect(turns.decide(turns.arrival(of: Self.text, key: ran)) == .serve(body: served!.body, counted: true))
    }
}
