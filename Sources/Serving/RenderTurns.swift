/// The render cache's decisions, without locks, threads or bodies: which scrape shares which body, which one
/// renders, which bodies go before it does, and how long it waits for their sends. `RenderCache` drives it under
/// its lock, keeps the bodies (by the number this gives each) and does the waiting and the rendering.
///
/// The rules:
/// - Scrapes of one variant, store state and second share one body; a scrape that waited also takes any render of
///   its variant that completed after it arrived (it sees the state as of at most one render ago).
/// - Renders take turns, whatever their variants, so their bodies never add up.
/// - A render first lets go of every body no scrape can use any more: its variant's previous one, and other
///   variants' of an older state or second (a scrape of theirs would render anew).
/// - Of those, the bodies from `drainThreshold` bytes up whose sends are still in flight are waited for, until
///   `drainTimeout` after the turn began (on the monotonic clock); smaller ones cost less than the wait would.
/// - A render is keyed by when it ran (the key the driver reads just before rendering), not when its scrape arrived.
struct RenderTurns: Sendable {
    /// What a body shows: the store's state, the owner's other counters, and the second it was rendered in.
    struct Key: Equatable, Sendable {
        var generation: UInt64
        var extra: UInt64
        var second: Int64

        init(generation: UInt64, extra: UInt64, second: Int64) {
            self.generation = generation
            self.extra = extra
            self.second = second
        }

        /// The key of a render at `now` (seconds since the epoch): the second is what two scrapes must share.
        init(generation: UInt64, extra: UInt64, now: Double) {
            self.init(generation: generation, extra: extra, second: Int64(now.rounded(.down)))
        }
    }

    /// A scrape as the turns know it: what it asked for, the key when it arrived, and how many renders of its
    /// variant had completed by then.
    struct Scrape: Equatable, Sendable {
        var variant: ScrapeVariant
        var key: Key
        var arrived: UInt64
    }

    enum Decision: Equatable, Sendable {
        /// Serve the cached body `body`. `counted`: it is large, so its send counts as in flight until `sendDone`.
        case serve(body: UInt64, counted: Bool)
        /// Another render is in progress: wait until it finishes (`renderFinished`), then decide again.
        case waitForRender
        /// This scrape's turn to render: no other starts until `renderFinished`. Call `beginTurn` next.
        case render
    }

    /// What the scrape whose turn it is does before it renders.
    struct Turn: Equatable, Sendable {
        /// Bodies no scrape can use any more: let go of them now.
        var drop: [UInt64]
        /// When some of them are large and still being sent: wait for `sendDone` (asking `draining`) until then.
        var drainUntil: ContinuousClock.Instant?
    }

    /// The body a finished render gives its own scrape.
    struct Served: Equatable, Sendable {
        var body: UInt64
        var counted: Bool
    }

    /// One cached body per variant, so the cache stays bounded whatever the Accept headers say.
    struct Slot: Equatable, Sendable {
        var key: Key
        /// The body scrapes share; nil after a failed render, and while the next one drains or renders.
        var body: UInt64?
        var size: Int
        /// Renders of this variant completed so far.
        var completed: UInt64
    }

    let drainThreshold: Int
    let drainTimeout: Duration
    private(set) var slots: [ScrapeVariant: Slot] = [:]
    /// The variant being rendered, and the number its render will have; nil when no render is in progress.
    private(set) var rendering: (variant: ScrapeVariant, completed: UInt64)?
    /// Sends of large bodies handed out and not done yet, per body.
    private(set) var inFlight: [UInt64: Int] = [:]
    /// The large bodies the render in progress waits for, and until when.
    private(set) var drain: (bodies: [UInt64], until: ContinuousClock.Instant)?
    private var lastBody: UInt64 = 0

    init(drainThreshold: Int, drainTimeout: Duration) {
        self.drainThreshold = drainThreshold
        self.drainTimeout = drainTimeout
    }

    // MARK: - Events

    /// A scrape of `variant` arrives with the key as of its arrival.
    func arrival(of variant: ScrapeVariant, key: Key) -> Scrape {
        Scrape(variant: variant, key: key, arrived: slots[variant]?.completed ?? 0)
    }

    /// What `scrape` does now: on arrival, and again each time a render it waited for finishes.
    mutating func decide(_ scrape: Scrape) -> Decision {
        if let slot = slots[scrape.variant], let body = slot.body, slot.key == scrape.key || slot.completed > scrape.arrived {
            return .serve(body: body, counted: handOut(body, size: slot.size))
        }
        if rendering != nil { return .waitForRender }
        rendering = (scrape.variant, (slots[scrape.variant]?.completed ?? 0) + 1)
        return .render
    }

    /// The render `decide` granted begins, with the key as of `now` (on the monotonic clock): what it lets go of,
    /// and whether it waits for sends first.
    mutating func beginTurn(current: Key, now: ContinuousClock.Instant) -> Turn {
        guard let variant = rendering?.variant else { preconditionFailure("beginTurn without a render granted") }
        var drop: [UInt64] = [], draining: [UInt64] = []
        for (v, slot) in slots where v == variant || slot.key != current {
            guard let body = slot.body else { continue }
            drop.append(body)
            if slot.size >= drainThreshold, inFlight[body] != nil { draining.append(body) }
            slots[v]?.body = nil
        }
        guard !draining.isEmpty else { return Turn(drop: drop, drainUntil: nil) }
        let until = now + drainTimeout
        drain = (draining, until)
        return Turn(drop: drop, drainUntil: until)
    }

    /// Whether the render still waits for sends at `now`: until when, or nil to render now (the last send is done,
    /// or the drain timed out: then both bodies are alive for a while).
    mutating func draining(now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        guard let drain else { return nil }
        if now < drain.until, drain.bodies.contains(where: { inFlight[$0] != nil }) { return drain.until }
        self.drain = nil
        return nil
    }

    /// The render in progress finished, keyed by when it ran; `cached`: a 200 answer, which scrapes share.
    /// The rendering scrape's body, when cached.
    mutating func renderFinished(key: Key, cached: Bool, size: Int) -> Served? {
        guard let (variant, completed) = rendering else { preconditionFailure("renderFinished without a render") }
        rendering = nil
        drain = nil
        lastBody += 1
        let body = lastBody
        slots[variant] = Slot(key: key, body: cached ? body : nil, size: size, completed: completed)
        return cached ? Served(body: body, counted: handOut(body, size: size)) : nil
    }

    /// A send of a counted `body` is done. True when it was the last one (a render draining it must wake).
    mutating func sendDone(body: UInt64) -> Bool {
        guard let n = inFlight[body] else { return false }
        if n > 1 {
            inFlight[body] = n - 1
            return false
        }
        inFlight[body] = nil
        return true
    }

    /// Counts a send of a large body; small ones, never drained, go uncounted.
    private mutating func handOut(_ body: UInt64, size: Int) -> Bool {
        guard size >= drainThreshold else { return false }
        inFlight[body, default: 0] += 1
        return true
    }
}
