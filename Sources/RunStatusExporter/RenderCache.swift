import Exposition
import Foundation
import HTTPServer

/// Shares one rendered `/metrics` response between the scrapes of the same store state in the same second:
/// the first scrape renders, scrapes arriving meanwhile wait for its body, later ones in that second reuse it.
/// So 32 overlapping scrapes of 10,000 runs hold one body, not 32, and a burst of scrapers costs one render.
///
/// What a scrape may see: the state as of at most one render ago (in flight when it arrived), and the
/// `process_*`, `runstatus_http_requests_total` and running-duration values of the current second.
/// Any change to the store (its generation) or to `extraKey` makes the next scrape render afresh.
///
/// Waiting blocks the calling thread: call it from the listener's worker threads, never from a Swift task.
public final class RenderCache: @unchecked Sendable {
    // @unchecked: `slots` is only touched with `condition` locked.
    private let store: MetricsStore
    private let now: @Sendable () -> Double
    private let extraKey: @Sendable () -> UInt64
    private let condition = NSCondition()
    private var slots: [Variant: Slot] = [:]

    /// One cached body per format and encoding, so the cache stays bounded whatever the Accept headers say.
    struct Variant: Hashable {
        var format: ExpositionFormat
        var gzip: Bool
    }

    struct Key: Equatable {
        var generation: UInt64
        var extra: UInt64
        var second: Int64
    }

    private struct Slot {
        var key: Key
        /// nil while the first scrape of `key` renders it.
        var response: HTTPResponse?
    }

    /// - Parameter extraKey: anything else the body shows that should not be a second stale (the owner's counters).
    public init(store: MetricsStore, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                extraKey: @escaping @Sendable () -> UInt64 = { 0 }) {
        self.store = store
        self.now = now
        self.extraKey = extraKey
    }

    /// The response `render` gives for `request`, rendered once per state, second and variant.
    /// Only 200 answers are shared; anything else is rendered for each request.
    public func response(for request: HTTPRequest, render: (HTTPRequest) -> HTTPResponse) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else { return render(request) }
        let variant = Variant(format: Routes.negotiate(accept: request.header("Accept")),
                              gzip: ContentCoding.negotiate(acceptEncoding: request.header("Accept-Encoding")) == .gzip)
        let key = Key(generation: store.generation, extra: extraKey(), second: Int64(now().rounded(.down)))

        condition.lock()
        var waited = false
        while let slot = slots[variant], slot.key == key {
            if let response = slot.response {
                condition.unlock()
                return response
            }
            waited = true
            condition.wait()
        }
        // First for this key: render it for everyone. Woken without a body (its renderer got no 200, or a newer
        // state took the slot): render for ourselves and leave the slot to whoever holds it.
        let owner = !waited
        if owner { slots[variant] = Slot(key: key, response: nil) }
        condition.unlock()

        let response = render(request)

        guard owner else { return response }
        condition.lock()
        if slots[variant]?.key == key {
            if response.status == 200 { slots[variant]?.response = response } else { slots[variant] = nil }
        }
        condition.broadcast()
        condition.unlock()
        return response
    }
}
