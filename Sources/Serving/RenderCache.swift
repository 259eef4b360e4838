import Configuration
import Exposition
import Foundation
import HTTPServer
import Logging
import RunStatusModel
import RunStore
import Threading

/// Shares one rendered `/metrics` response between the scrapes of the same store state in the same second:
/// the first scrape renders, scrapes arriving meanwhile wait for its body, later ones in that second reuse it.
/// So 32 overlapping scrapes of 10,000 runs hold one body, not 32, and a burst of scrapers costs one render.
///
/// It also keeps the number of large bodies alive at one, not two: renders never overlap, a render first lets go of
/// every body no scrape can use any more (its variant's previous one, other variants' of an older state), and
/// before it starts it waits, at most `drainTimeout`, for the responses still sending the large ones to finish.
/// Without that, the 13 MB body of 10,000 runs still being sent to 32 clients and the next second's render would
/// coexist. The server releases each response's `bodyOwner` once its body is in the kernel, which is how the cache
/// counts the sends in flight. The price: while one render waits for a slow client, renders of other variants
/// wait too (at most `drainTimeout`).
///
/// What a scrape may see: the state as of at most one render ago (a render of its variant in flight, or
/// started, while it waited), and the `process_*`, `runstatus_http_requests_total` and running-duration values
/// of the current second. Any change to the store (its generation) or to `extraKey` makes the next scrape
/// that finds no render in progress render afresh.
///
/// The decisions are `RenderTurns`' (a pure state machine, tested on a clock moved by hand); this class keeps the
/// bodies, the lock and the waiting. Waiting blocks the calling thread: call it from the listener's worker threads,
/// never from a Swift task.
public final class RenderCache: @unchecked Sendable {
    // @unchecked: every var below is only touched with `condition` locked.
    private let generation: @Sendable () -> UInt64
    private let now: @Sendable () -> Double
    private let extraKey: @Sendable () -> UInt64
    private let condition = ConditionLock()
    /// Who shares, who renders, what goes and how long a render waits: the decisions, taken under `condition`.
    private var turns: RenderTurns
    /// The bodies `turns` keeps, by its numbers: dropped as soon as it says no scrape can use them.
    private var bodies: [UInt64: HTTPResponse] = [:]

    /// - Parameters:
    ///   - extraKey: anything else the body shows that should not be a second stale (the owner's counters).
    ///   - drainThreshold: bodies from this size up are drained before being replaced (smaller ones cost less
    ///     than the wait would).
    ///   - drainTimeout: the longest a render waits for a slow client still receiving the previous body; after
    ///     it, both bodies are alive for a while.
    public convenience init(store: MetricsStore, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                            extraKey: @escaping @Sendable () -> UInt64 = { 0 },
                            drainThreshold: Int = 1 << 20, drainTimeout: Double = 1) {
        self.init(generation: { store.generation }, now: now, extraKey: extraKey, drainThreshold: drainThreshold,
                  drainTimeout: drainTimeout)
    }

    /// A cache of bodies made from whatever `generation` numbers (any change of it makes the next scrape render).
    init(generation: @escaping @Sendable () -> UInt64, now: @escaping @Sendable () -> Double,
         extraKey: @escaping @Sendable () -> UInt64 = { 0 }, drainThreshold: Int = 1 << 20, drainTimeout: Double = 1) {
        self.generation = generation
        self.now = now
        self.extraKey = extraKey
        turns = RenderTurns(drainThreshold: drainThreshold,
                            drainTimeout: .milliseconds(Int64((drainTimeout * 1000).rounded())))
    }

    /// Held by the server with each shared response until its body is sent; its release ends that send's count.
    private final class Lease: Sendable {
        let release: @Sendable () -> Void
        init(release: @escaping @Sendable () -> Void) { self.release = release }
        deinit { release() }
    }

    /// The response `render` gives for `request`, rendered once per state, second and variant.
    /// Only 200 answers are shared; anything else is rendered for each request.
    public func response(for request: HTTPRequest, render: (HTTPRequest) -> HTTPResponse) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else { return render(request) }
        return response(for: ScrapeVariant(request)) { render(request) }
    }

    /// The response `render` gives for a GET or HEAD scrape of `variant` (negotiated once, by the caller),
    /// rendered once per state, second and variant. Only 200 answers are shared.
    public func response(for variant: ScrapeVariant, render: () -> HTTPResponse) -> HTTPResponse {
        let key = currentKey()

        // Either a shared body, or our turn to render.
        let shared: HTTPResponse? = condition.withLock {
            let scrape = turns.arrival(of: variant, key: key)
            while true {
                switch turns.decide(scrape) {
                case .serve(let body, let counted):
                    return handOut(body, counted: counted)
                case .waitForRender:
                    condition.wait()
                case .render:
                    let turn = turns.beginTurn(current: currentKey(), now: .now)
                    for body in turn.drop { bodies[body] = nil }
                    // On the monotonic clock: a wall-clock step must not stretch the wait.
                    while let until = turns.draining(now: .now) {
                        _ = condition.wait(until: ConditionLock.deadline(after: max(.zero, ContinuousClock.now.duration(to: until))))
                    }
                    return nil
                }
            }
        }
        if let shared { return shared }

        // The key as of now, after any wait: the body shows this state and second, so later scrapes of the same
        // second still find it (the arrival key could be a second old after a drain).
        let renderedKey = currentKey()
        let response = render()

        return condition.withLock {
            let served = turns.renderFinished(key: renderedKey, cached: response.status == 200, size: response.body.count)
            condition.broadcast()
            guard let served else { return response }
            bodies[served.body] = response
            return handOut(served.body, counted: served.counted)
        }
    }

    /// Whether a render is waiting for the sends of bodies it let go of: the point at which those bodies must still
    /// be alive, and the render not yet begun (for tests).
    var isDraining: Bool { condition.withLock { turns.drain != nil } }

    private func currentKey() -> RenderTurns.Key {
        RenderTurns.Key(generation: generation(), extra: extraKey(), now: now())
    }

    /// Body `body`, with a lease counting its send in flight until the server releases it when `counted` (small
    /// bodies, never drained, go without: a lease costs an allocation and a lock per response). Called with
    /// `condition` locked.
    private func handOut(_ body: UInt64, counted: Bool) -> HTTPResponse {
        guard var shared = bodies[body] else { preconditionFailure("render cache: body \(body) served after it was dropped") }
        guard counted else { return shared }
        // The lease is released by the server, outside this lock; it takes the lock itself.
        shared.bodyOwner = Lease { [weak self] in self?.sendDone(body) }
        return shared
    }

    private func sendDone(_ body: UInt64) {
        condition.withLock {
            // Only a render draining this body waits for its count; it needs waking once, at zero.
            if turns.sendDone(body: body) { condition.broadcast() }
        }
    }
}
