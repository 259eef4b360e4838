import Configuration
import Exposition
import Foundation
import HTTPServer
import Logging
import RunStatusModel
import RunStore

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
/// Waiting blocks the calling thread: call it from the listener's worker threads, never from a Swift task.
public final class RenderCache: @unchecked Sendable {
    // @unchecked: every var below is only touched with `condition` locked.
    private let store: MetricsStore
    private let now: @Sendable () -> Double
    private let extraKey: @Sendable () -> UInt64
    private let drainThreshold: Int
    private let drainTimeout: Duration
    private let condition = ConditionLock()
    /// One cached body per format and encoding, so the cache stays bounded whatever the Accept headers say.
    private var slots: [ScrapeVariant: Slot] = [:]
    /// A render (of any variant) is in progress: renders take turns, so their bodies never add up.
    private var rendering = false
    /// Responses handed out and not yet released by the server, per body serial.
    private var inFlight: [UInt64: Int] = [:]
    private var nextSerial: UInt64 = 0

    struct Key: Equatable {
        var generation: UInt64
        var extra: UInt64
        var second: Int64
    }

    private struct Slot {
        var key: Key
        /// The shared 200 response; nil after a failed render, and while the next one drains or renders.
        var response: HTTPResponse?
        /// Identifies the body in `inFlight`.
        var serial: UInt64
        /// Renders of this variant completed so far: a waiter takes any render that completed after it arrived.
        var completed: UInt64
    }

    /// - Parameters:
    ///   - extraKey: anything else the body shows that should not be a second stale (the owner's counters).
    ///   - drainThreshold: bodies from this size up are drained before being replaced (smaller ones cost less
    ///     than the wait would).
    ///   - drainTimeout: the longest a render waits for a slow client still receiving the previous body; after
    ///     it, both bodies are alive for a while.
    public init(store: MetricsStore, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                extraKey: @escaping @Sendable () -> UInt64 = { 0 },
                drainThreshold: Int = 1 << 20, drainTimeout: Double = 1) {
        self.store = store
        self.now = now
        self.extraKey = extraKey
        self.drainThreshold = drainThreshold
        self.drainTimeout = .milliseconds(Int64((drainTimeout * 1000).rounded()))
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

        // Either a shared body, or our turn to render (with the number this variant's render will have).
        enum Turn { case shared(HTTPResponse), render(completed: UInt64) }
        let turn: Turn = condition.withLock {
            let arrived = slots[variant]?.completed ?? 0
            while true {
                if let slot = slots[variant], let response = slot.response,
                   slot.key == key || slot.completed > arrived {
                    return .shared(handOut(response, serial: slot.serial))
                }
                if !rendering { break }
                condition.wait()
            }
            // Our turn. First let go of the bodies no scrape can use any more: this variant's previous one, and
            // other variants' of an older state (a scrape of theirs would render anew). Give the sends of the large
            // ones time to finish. Only serials are kept: a copy of a slot would keep its body alive.
            rendering = true
            let completed = (slots[variant]?.completed ?? 0) + 1
            let current = currentKey()
            var draining: [UInt64] = []
            for (v, slot) in slots where v == variant || slot.key != current {
                if let body = slot.response?.body, body.count >= drainThreshold { draining.append(slot.serial) }
                slots[v]?.response = nil
            }
            if !draining.isEmpty {
                // On the monotonic clock: a wall-clock step must not stretch the wait.
                let deadline = ConditionLock.deadline(after: drainTimeout)
                while draining.contains(where: { inFlight[$0] != nil }), condition.wait(until: deadline) {}
            }
            return .render(completed: completed)
        }
        let completed: UInt64
        switch turn {
        case .shared(let response): return response
        case .render(let count): completed = count
        }

        // The key as of now, after any wait: the body shows this state and second, so later scrapes of the same
        // second still find it (the arrival key could be a second old after a drain).
        let renderedKey = currentKey()
        let response = render()

        return condition.withLock {
            rendering = false
            nextSerial += 1
            let serial = nextSerial
            slots[variant] = Slot(key: renderedKey, response: response.status == 200 ? response : nil,
                                  serial: serial, completed: completed)
            condition.broadcast()
            return response.status == 200 ? handOut(response, serial: serial) : response
        }
    }

    private func currentKey() -> Key {
        Key(generation: store.generation, extra: extraKey(), second: Int64(now().rounded(.down)))
    }

    /// `response` with a lease counting it in flight until the server releases it; small bodies, which are never
    /// drained, go without (a lease costs an allocation and a lock per response). Called with `condition` locked.
    private func handOut(_ response: HTTPResponse, serial: UInt64) -> HTTPResponse {
        guard response.body.count >= drainThreshold else { return response }
        inFlight[serial, default: 0] += 1
        var shared = response
        // The lease is released by the server, outside this lock; it takes the lock itself.
        shared.bodyOwner = Lease { [weak self] in self?.released(serial) }
        return shared
    }

    private func released(_ serial: UInt64) {
        condition.withLock {
            guard let n = inFlight[serial] else { return }
            if n > 1 {
                inFlight[serial] = n - 1
            } else {
                inFlight[serial] = nil
                // Only a render draining this body waits for its count; it needs waking once, at zero.
                condition.broadcast()
            }
        }
    }
}
