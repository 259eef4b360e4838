import Configuration
import Foundation
import Logging
import RunStatusModel
import RunStore
import Synchronization

/// Polls every target in the background: each on its own interval, at most `max_concurrency` requests in flight
/// overall, each request bounded by the target's timeout. One target failing never slows another: they share
/// only the concurrency slots, and a slow vendor holds a slot no longer than its timeout.
///
/// A target with `discover` lists its runs first in a cycle (every `discover.interval`); the observations a list
/// carries spare those runs' polls. Every request passes the target's `RateBudget`; a cycle that cannot fit its
/// requests in the budget within one poll interval leaves the rest, least urgent last, for the next cycle.
public final class Poller: Sendable {
    let store: MetricsStore
    let fetcher: any Fetcher
    let logger: Logger
    let now: @Sendable () -> Double
    let credentials: Credentials
    private let limiter: Mutex<ConcurrencyLimiter>
    private let running = Mutex<Running>(Running())
    /// Per target, kept across reloads: what the vendor said about its window still holds.
    private let budgets = Mutex<[String: RateBudget]>([:])
    let monotonic: @Sendable () -> Double

    private struct Running {
        /// Every loop that has not ended: the current ones and those a reload cancelled, whose requests in flight
        /// `stop` still waits for. A loop removes itself when it ends.
        var loops: [UInt64: Task<Void, Never>] = [:]
        /// The loops of the config in force; a reload cancels them.
        var current: [UInt64] = []
        var nextID: UInt64 = 0
        var readiness = Readiness()
        var config: ExporterConfig?
    }

    public init(store: MetricsStore, fetcher: any Fetcher, logger: Logger,
                now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                environment: @escaping @Sendable (String) -> String? = { ProcessInfo.processInfo.environment[$0] },
                monotonic: (@Sendable () -> Double)? = nil) {
        self.store = store
        self.monotonic = monotonic ?? RateBudget.monotonicNow
        self.fetcher = fetcher
        self.logger = logger
        self.now = now
        self.credentials = Credentials(environment: environment, redactor: logger.redactor)
        self.limiter = Mutex(ConcurrencyLimiter(limit: ExporterConfig.defaultMaxConcurrency))
    }

    /// Starts (or, on reload, restarts) one polling loop per target. The store keeps what it knew.
    public func start(_ config: ExporterConfig) {
        let limiter = ConcurrencyLimiter(limit: config.maxConcurrency)
        self.limiter.withLock { $0 = limiter }
        let old = running.withLock { r -> [Task<Void, Never>] in
            let old = r.current.compactMap { r.loops[$0] }
            r.current = []
            r.config = config
            if !store.isReady { r.readiness.expectFirstCycles(of: config.targets.map(\.name)) }
            return old
        }
        // A cancelled loop's request in flight ends without counting anything (see `request`).
        for task in old { task.cancel() }
        installBudgets(config)
        if store.refusedAtApply > 0 {
            logger.warn("max_series reached: runs dropped or refused (see runstatus_series_dropped_total)",
                        ["runs": String(store.refusedAtApply), "max_series": String(config.maxSeries)])
        }
        if !store.shard.isAll {
            logger.info("sharding: keeping the runs of this shard only", ["shard": String(store.shard.index),
                                                                          "total_shards": String(store.shard.total)])
        }
        if config.targets.isEmpty { store.markReady() }
        running.withLock { r in
            // Created under the lock, so a loop that ends at once finds itself registered when it unregisters.
            for target in config.targets {
                r.nextID += 1
                let id = r.nextID
                r.loops[id] = Task.detached { [self] in
                    await self.loop(target, config: config, limiter: limiter)
                    _ = running.withLock { $0.loops.removeValue(forKey: id) }
                }
                r.current.append(id)
            }
        }
    }

    /// One rate budget per target of `config`: a target that remains keeps its budget (and what the vendor said).
    func installBudgets(_ config: ExporterConfig) {
        budgets.withLock { b in
            var kept: [String: RateBudget] = [:]
            for t in config.targets {
                let limit = store.shard.share(of: t.rateLimit)
                let budget = b[t.name] ?? RateBudget(limit: limit, clock: monotonic)
                budget.setLimit(limit)
                kept[t.name] = budget
            }
            b = kept
        }
    }

    /// Cancels every loop, those a reload cancelled included, and waits for the requests in flight to end.
    public func stop() async {
        let tasks = running.withLock { r -> [Task<Void, Never>] in
            r.current = []
            return Array(r.loops.values)
        }
        for t in tasks { t.cancel() }
        for t in tasks { await t.value }
    }

    /// The driver of one target's `PollLoopSchedule`: makes or holds back the cycle it calls for, then sleeps.
    private func loop(_ target: TargetConfig, config: ExporterConfig, limiter: ConcurrencyLimiter) async {
        var schedule = PollLoopSchedule(target)
        while !Task.isCancelled {
            let cycleStart = now()
            switch schedule.begin(now: cycleStart) {
            case .cycle(let listing):
                let outcome = await cycle(target, config: config, limiter: limiter, listing: listing)
                schedule.cycled(notBefore: outcome.notBefore, listed: outcome.listed)
            case .hold(let listing, let seconds):
                // Every request this cycle would have made is held back by the vendor's wait.
                let held = store.duePolls(target: target.name, now: cycleStart, pollInterval: target.pollInterval,
                                          terminalInterval: target.terminalPollInterval).count + (listing ? 1 : 0)
                store.countRateLimitWait(target: target.name, requests: held)
                logger.debug("poll cycle skipped: vendor asked to wait", ["target": target.name, "held": String(held),
                             "seconds": String(Int(seconds))])
            }
            firstCycleDone(target.name)
            try? await Task.sleep(for: .seconds(schedule.sleep(now: now())))
        }
    }

    private func firstCycleDone(_ name: String) {
        let allDone = running.withLock { $0.readiness.cycleDone(name) }
        if allDone {
            store.markReady()
            logger.info("first poll cycle done for every target")
        }
    }

    struct CycleOutcome {
        /// The time before which the vendor asked not to be called again.
        var notBefore = 0.0
        /// Whether a listing was made (successful or not).
        var listed = false
    }

    /// One cycle of one target: the listing when due, then the runs due for a poll.
    func cycle(_ target: TargetConfig, config: ExporterConfig, limiter: ConcurrencyLimiter, listing: Bool = false) async -> CycleOutcome {
        let deadline = monotonic() + target.pollInterval
        let listing = listing && target.discover != nil && target.vendor.lister != nil
        if !listing, store.duePolls(target: target.name, now: now(), pollInterval: target.pollInterval,
                                    terminalInterval: target.terminalPollInterval).isEmpty {
            return CycleOutcome()
        }

        var headers = target.headers
        if let source = target.auth.source {
            switch credentials.read(source) {
            case .success(let secret):
                if let (name, value) = target.auth.header(secret: secret) { headers[name] = value }
            case .failure(let error):
                logger.error("cannot read credentials; skipping poll cycle", ["target": target.name, "error": error.message])
                store.finishCycle(target: target.name, reached: false, authFailed: true)
                return CycleOutcome(listed: listing)
            }
        }

        let budget = budgets.withLock { $0[target.name] } ?? RateBudget(limit: nil, clock: monotonic)
        let backoff = Shared(Backoff())
        let context = PollContext(target: target, headers: headers, maxBodyBytes: config.maxResponseBytes,
                                  budget: budget, deadline: deadline, backoff: backoff, limiter: limiter)
        var summary = CycleSummary()
        if listing, let result = await discover(context) { summary.add(result) }
        // After the listing: runs it observed are not due any more, runs it found are.
        let due = store.duePolls(target: target.name, now: now(), pollInterval: target.pollInterval,
                                 terminalInterval: target.terminalPollInterval)
        // A window of at most max_concurrency child tasks per target, so 10,000 runs do not mean 10,000 tasks at once.
        await withTaskGroup(of: PollResult?.self) { group in
            var iterator = due.makeIterator()
            func addNext() -> Bool {
                guard let poll = iterator.next() else { return false }
                group.addTask { [self] in await pollRun(poll, context) }
                return true
            }
            for _ in 0..<config.maxConcurrency where addNext() {}
            for await result in group {
                if let result { summary.add(result) } else { summary.deferred += 1 }
                _ = addNext()
            }
        }
        // A cycle that made no request at all (everything left for later) says nothing about the vendor.
        if summary.polled > 0 {
            store.finishCycle(target: target.name, reached: summary.reached, authFailed: summary.authFailed)
        }
        if let first = summary.firstError {
            logger.warn("poll cycle had errors", ["target": target.name, "vendor": target.vendor.rawValue,
                                                  "errors": String(summary.errors), "polled": String(summary.polled),
                                                  "first_run": first.runID, "first_error": first.error.description])
        }
        if summary.deferred > 0 {
            logger.info("rate budget or Retry-After: polls left for the next cycle",
                        ["target": target.name, "deferred": String(summary.deferred), "polled": String(summary.polled)])
        }
        return CycleOutcome(notBefore: backoff.read(\.until), listed: listing)
    }

    struct PollContext: Sendable {
        var target: TargetConfig
        var headers: [String: String]
        var maxBodyBytes: Int
        var budget: RateBudget
        /// Monotonic seconds: no request of this cycle starts later.
        var deadline: Double
        var backoff: Shared<Backoff>
        var limiter: ConcurrencyLimiter
    }

    struct PollResult: Sendable {
        var runID: String
        var reached = false
        var authFailed = false
        var error: PollError?
    }

    struct CycleSummary {
        var polled = 0
        var errors = 0
        var deferred = 0
        var reached = false
        var authFailed = false
        var firstError: (runID: String, error: PollError)?

        mutating func add(_ r: PollResult) {
            polled += 1
            reached = reached || r.reached
            authFailed = authFailed || r.authFailed
            if let e = r.error {
                errors += 1
                if firstError == nil { firstError = (r.runID, e) }
            }
        }
    }

    /// Lists the target's runs page by page (within the budget and the cycle's deadline) and hands them to the store.
    /// Nil when no list request could be made this cycle.
    private func discover(_ ctx: PollContext) async -> PollResult? {
        let target = ctx.target
        var result = PollResult(runID: "(listing)")
        guard let discovery = target.discover, let lister = target.vendor.lister else { return nil }
        let query = discovery.query(now: now())
        var cursor: ListingCursor?
        var found: [ListedRun] = []
        var complete = false
        var pages = 0
        // The vendor's list order says how far to read (`ListingShape`): a newest-first list's window is its first
        // max_runs; an oldest-first one is read on and the newest kept; per-agent lists are merged below.
        let shape = lister.shape
        let entryCap = shape.entryCap(maxRuns: discovery.maxRuns)
        let maxPages = shape.maxPages(query)
        while pages < maxPages {
            let currentCursor = cursor
            guard let fetched = await request(lister.listRequest(query, cursor: currentCursor), ctx, decode: { response, decodeContext in
                lister.decodeList(response, query: query, cursor: currentCursor, context: decodeContext)
            }) else { break }
            pages += 1
            note(&result, response: fetched.response, error: fetched.result.error)
            store.recordListRequest(target: target.name, error: fetched.result.error, latency: fetched.latency, at: now())
            guard case .success(let page) = fetched.result else {
                if let e = fetched.result.error {
                    logger.warn("listing runs failed", ["target": target.name, "vendor": target.vendor.rawValue,
                                                        "page": String(pages), "reason": e.reason.rawValue, "error": e.message])
                }
                break
            }
            if !page.skipped.isEmpty {
                logger.warn("list entries without a usable run id were skipped",
                            ["target": target.name, "count": String(page.skipped.count), "first": page.skipped[0]])
            }
            found.append(contentsOf: logger.redactor.redact(page.runs))
            if shape.stopsAtEntryCap, found.count >= entryCap {
                if shape.order == .oldestFirst {
                    logger.warn("listing stopped at ten times max_runs; narrow it with max_age or a status filter",
                                ["target": target.name, "listed": String(found.count)])
                }
                complete = true
                break
            }
            guard let next = page.next else { complete = true; break }
            cursor = next
        }
        if shape.sortsByStart {
            // Newest first by start (not yet started counts as newest), so the window keeps the newest runs.
            found = found.enumerated().sorted { a, b in
                let x = a.element.observation?.startTime ?? .infinity, y = b.element.observation?.startTime ?? .infinity
                return x != y ? x > y : a.offset < b.offset
            }.map(\.element)
        }
        let window = Array(found.prefix(discovery.maxRuns))
        let outcome = store.applyListing(target: target.name, runs: window, complete: complete, at: now())
        if outcome != ListingOutcome() {
            logger.info("discovered runs", ["target": target.name, "listed": String(window.count),
                                            "added": String(outcome.added), "removed": String(outcome.removed),
                                            "refused_for_max_series": String(outcome.refused)])
        }
        guard pages > 0 else { return nil }
        if !complete, result.error == nil {
            logger.debug("listing left incomplete for this cycle", ["target": target.name, "pages": String(pages)])
        }
        return result
    }

    /// Polls one run: the status call, then for WES the details call when the run is new or its state moved.
    /// Nil when the status call was not made (rate budget, deadline, Retry-After): the run stays due.
    private func pollRun(_ poll: DuePoll, _ ctx: PollContext) async -> PollResult? {
        let adapter = ctx.target.vendor.adapter
        let target = ctx.target
        var result = PollResult(runID: poll.runID)
        // When the list already said the state, the details call alone (state and times) spares the status call.
        let detailsOnly = poll.detailsOnly ? adapter.detailsRequest(runID: poll.runID) : nil
        guard let status = await request(detailsOnly ?? adapter.statusRequest(runID: poll.runID), ctx, decode: { response, decodeContext in
            detailsOnly != nil ? adapter.decodeDetails(response, runID: poll.runID, context: decodeContext)
                               : adapter.decodeStatus(response, runID: poll.runID, context: decodeContext)
        }) else { return nil }
        let statusOutcome = status.outcome
        let statusLatency = status.latency
        note(&result, response: status.response, error: status.result.error)

        guard case .observed(var obs) = statusOutcome else {
            if case .failed(let e) = statusOutcome {
                logger.debug("poll failed", ["target": target.name, "run": poll.runID, "reason": e.reason.rawValue, "error": e.message])
            }
            store.record(target: target.name, runID: poll.runID, outcome: statusOutcome, latency: statusLatency, at: now())
            return result
        }
        obs = logger.redactor.redact(obs)  // vendor_state becomes a label

        let moved = poll.previous.map { $0.state != obs.state || $0.vendorState != obs.vendorState } ?? true
        var detailsMissing = false
        var details: (PollOutcome, Double)?
        if obs.timesUnknown, moved || poll.needsDetails, let detailsRequest = adapter.detailsRequest(runID: poll.runID) {
            if let fetched = await request(detailsRequest, ctx, decode: { response, decodeContext in
                adapter.decodeDetails(response, runID: poll.runID, context: decodeContext)
            }) {
                note(&result, response: fetched.response, error: fetched.result.error)
                details = (fetched.outcome, fetched.latency)
                switch fetched.outcome {
                case .observed(let d):
                    obs.startTime = d.startTime
                    obs.endTime = obs.state.isTerminal ? d.endTime : nil
                    obs.timesUnknown = false
                case .failed(let e):
                    detailsMissing = true
                    logger.debug("details call failed", ["target": target.name, "run": poll.runID, "reason": e.reason.rawValue, "error": e.message])
                }
            } else {
                // Out of budget for this cycle: the times come with the next poll.
                detailsMissing = true
            }
        }

        if moved {
            // A change of a known run is news (info); a run's first state is not (debug), or a start with
            // 10,000 runs would print 10,000 lines (and spend a third of the first cycle's CPU on them).
            logger.log(poll.previous == nil ? .debug : .info, "run state",
                       ["target": target.name, "vendor": target.vendor.rawValue, "run": poll.runID,
                        "state": obs.state.rawValue, "vendor_state": obs.vendorState,
                        "previous": poll.previous?.vendorState ?? "none"])
        }
        if !obs.mapped {
            logger.warn("vendor state not in the mapping; reported as unknown",
                        ["target": target.name, "run": poll.runID, "vendor_state": obs.vendorState])
        }
        let at = now()
        store.record(target: target.name, runID: poll.runID, outcome: .observed(obs), latency: statusLatency, at: at,
                     detailsMissing: detailsMissing)
        if let (outcome, latency) = details {
            store.recordRequest(target: target.name, outcome: outcome, latency: latency, at: at)
        }
        return result
    }

    private func note(_ result: inout PollResult, response: VendorResponse?, error: PollError?) {
        if let status = response?.status {
            // A gateway error means a proxy answered, not the vendor.
            if ![502, 503, 504].contains(status) { result.reached = true }
            if status == 401 || status == 403 { result.authFailed = true }
        }
        if let error, result.error == nil { result.error = error }
    }

    /// One answer and what it decoded to.
    struct Fetched<T: Sendable>: Sendable {
        var result: Result<T, PollError>
        var latency: Double
        var response: VendorResponse?
    }

    /// Makes one request within the cycle's limits: nil when it was not made (the vendor asked to wait, the rate
    /// budget has no room before the cycle's deadline, or the loop was cancelled).
    private func request<T: Sendable>(_ req: VendorRequest, _ ctx: PollContext,
                                      decode: (VendorResponse, DecodeContext) -> Result<T, PollError>) async -> Fetched<T>? {
        guard let url = URL(string: ctx.target.url + req.pathAndQuery) else {
            return Fetched(result: .failure(PollError(.badRequest, "cannot form a URL from path \(req.pathAndQuery)")), latency: 0)
        }
        let target = ctx.target
        // The vendor asked us to wait (429/503 Retry-After): leave the rest for a later cycle.
        if ctx.backoff.read({ $0.holds(at: now()) }) {
            store.countRateLimitWait(target: target.name)
            return nil
        }
        // Held back by the budget (it waited, or its turn lies past the cycle): counted once. Not when the
        // refusal is our own cancellation (a reload or shutdown).
        func held(_ grant: RateBudget.Grant) -> Bool {
            switch grant {
            case .granted(let waited): waited
            case .refused: !Task.isCancelled
            }
        }
        let claim = await ctx.budget.claim(deadline: ctx.deadline)
        guard case .granted = claim else {
            if held(claim) { store.countRateLimitWait(target: target.name) }
            return nil
        }
        var headers = req.headers
        for (k, v) in ctx.headers { headers[k] = v }
        let fetched = await ctx.limiter.withSlot { [self] () async -> (Result<VendorResponse, PollError>, Double)? in
            let start = await ctx.budget.start(deadline: ctx.deadline)
            if held(claim) || held(start) { store.countRateLimitWait(target: target.name) }
            guard case .granted = start else { return nil }
            let clock = ContinuousClock()
            let started = clock.now
            let answer = await fetcher.get(url, headers: headers, timeout: target.timeout, maxBodyBytes: ctx.maxBodyBytes,
                                           client: target.client)
            let elapsed = started.duration(to: clock.now)
            return (answer, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        guard let (answer, latency) = fetched ?? nil else { return nil }
        // Cancelled by us (a reload or shutdown), not by the vendor: a failure then says nothing about the vendor,
        // so the request counts as not made (no poll, no error, no latency) and its run stays due for the next loop.
        if Task.isCancelled, case .failure = answer { return nil }
        switch answer {
        case .failure(let e):
            return Fetched(result: .failure(e), latency: latency)
        case .success(let response):
            let at = now()
            let decodeContext = DecodeContext(timeZoneIdentifier: target.timeZone, now: at)
            let result = decode(response, decodeContext)
            let retryAfter = response.retryAfter(now: at)
                ?? (response.status == 429 || response.status == 503 ? response.rateLimitReset(now: at) : nil)
            ctx.budget.observe(remaining: response.rateLimitRemaining, resetIn: response.rateLimitReset(now: at),
                               retryAfter: retryAfter)
            if let wait = result.error?.retryAfter { ctx.backoff.update { $0.wait(wait, from: at) } }
            return Fetched(result: result, latency: latency, response: response)
        }
    }
}

extension Poller.Fetched where T == RunObservation {
    var outcome: PollOutcome {
        switch result {
        case .success(let o): .observed(o)
        case .failure(let e): .failed(e)
        }
    }
}
