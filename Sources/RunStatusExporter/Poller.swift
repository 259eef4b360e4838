import Foundation
import RunStatusModel
import Synchronization

/// Polls every target in the background: each on its own interval, at most `max_concurrency` requests in flight
/// overall, each request bounded by the target's timeout. One target failing never slows another: they share
/// only the concurrency slots, and a slow vendor holds a slot no longer than its timeout.
public final class Poller: Sendable {
    let store: MetricsStore
    let fetcher: any Fetcher
    let logger: Logger
    let now: @Sendable () -> Double
    let credentials: Credentials
    private let limiter: Mutex<ConcurrencyLimiter>
    private let running = Mutex<Running>(Running())

    private struct Running {
        var tasks: [Task<Void, Never>] = []
        var firstCyclePending: Set<String> = []
        var config: ExporterConfig?
    }

    public init(store: MetricsStore, fetcher: any Fetcher, logger: Logger,
                now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                environment: @escaping @Sendable (String) -> String? = { ProcessInfo.processInfo.environment[$0] }) {
        self.store = store
        self.fetcher = fetcher
        self.logger = logger
        self.now = now
        self.credentials = Credentials(environment: environment)
        self.limiter = Mutex(ConcurrencyLimiter(limit: ExporterConfig.defaultMaxConcurrency))
    }

    /// Starts (or, on reload, restarts) one polling loop per target. The store keeps what it knew.
    public func start(_ config: ExporterConfig) {
        let limiter = ConcurrencyLimiter(limit: config.maxConcurrency)
        self.limiter.withLock { $0 = limiter }
        let old = running.withLock { r -> [Task<Void, Never>] in
            let old = r.tasks
            r.tasks = []
            r.config = config
            if !store.isReady { r.firstCyclePending = Set(config.targets.map(\.name)) }
            return old
        }
        for task in old { task.cancel() }
        if config.targets.isEmpty { store.markReady() }
        let tasks = config.targets.map { target in
            Task.detached { [self] in await self.loop(target, config: config, limiter: limiter) }
        }
        running.withLock { $0.tasks = tasks }
    }

    /// Cancels every loop and waits for the requests in flight to end.
    public func stop() async {
        let tasks = running.withLock { r -> [Task<Void, Never>] in
            defer { r.tasks = [] }
            return r.tasks
        }
        for t in tasks { t.cancel() }
        for t in tasks { await t.value }
    }

    private func loop(_ target: TargetConfig, config: ExporterConfig, limiter: ConcurrencyLimiter) async {
        var notBefore = 0.0
        while !Task.isCancelled {
            let cycleStart = now()
            if cycleStart >= notBefore {
                notBefore = await cycle(target, config: config, limiter: limiter)
            } else {
                logger.debug("poll cycle skipped: vendor asked to wait", ["target": target.name,
                             "seconds": String(Int(notBefore - cycleStart))])
            }
            firstCycleDone(target.name)
            let next = cycleStart + target.pollInterval
            let wait = max(0.05, next - now())
            try? await Task.sleep(for: .seconds(wait))
        }
    }

    private func firstCycleDone(_ name: String) {
        let allDone = running.withLock { r -> Bool in
            guard r.firstCyclePending.remove(name) != nil else { return false }
            return r.firstCyclePending.isEmpty
        }
        if allDone {
            store.markReady()
            logger.info("first poll cycle done for every target")
        }
    }

    /// One cycle of one target; returns the time before which the vendor asked not to be called again.
    func cycle(_ target: TargetConfig, config: ExporterConfig, limiter: ConcurrencyLimiter) async -> Double {
        let due = store.duePolls(target: target.name, now: now(), pollInterval: target.pollInterval,
                                 terminalInterval: target.terminalPollInterval)
        guard !due.isEmpty else { return 0 }

        var headers = target.headers
        if let source = target.auth.source {
            switch credentials.read(source) {
            case .success(let secret):
                if let (name, value) = target.auth.header(secret: secret) { headers[name] = value }
            case .failure(let error):
                logger.error("cannot read credentials; skipping poll cycle", ["target": target.name, "error": error.message])
                store.finishCycle(target: target.name, reached: false, authFailed: true)
                return 0
            }
        }

        let context = PollContext(target: target, headers: headers, maxBodyBytes: config.maxResponseBytes)
        let backoff = Backoff()
        var summary = CycleSummary()
        // A window of at most max_concurrency child tasks per target, so 10,000 runs do not mean 10,000 tasks at once.
        await withTaskGroup(of: PollResult?.self) { group in
            var iterator = due.makeIterator()
            func addNext() -> Bool {
                guard let poll = iterator.next() else { return false }
                group.addTask { [self] in
                    await limiter.withSlot { [self] () async -> PollResult? in
                        // The vendor asked us to wait (429/503 Retry-After): leave the rest for a later cycle.
                        if backoff.until > now() { return nil }
                        let result = await pollRun(poll, context)
                        if let wait = result.retryAfter {
                            backoff.extend(to: now() + min(wait, 3600))
                        }
                        return result
                    } ?? nil
                }
                return true
            }
            for _ in 0..<config.maxConcurrency where addNext() {}
            for await result in group {
                if let result { summary.add(result) }
                _ = addNext()
            }
        }
        store.finishCycle(target: target.name, reached: summary.reached, authFailed: summary.authFailed)
        if let first = summary.firstError {
            logger.warn("poll cycle had errors", ["target": target.name, "vendor": target.vendor.rawValue,
                                                  "errors": String(summary.errors), "polled": String(summary.polled),
                                                  "first_run": first.runID, "first_error": first.error.description])
        }
        return backoff.until
    }

    struct PollContext: Sendable {
        var target: TargetConfig
        var headers: [String: String]
        var maxBodyBytes: Int
    }

    struct PollResult: Sendable {
        var runID: String
        var reached = false
        var authFailed = false
        var error: PollError?
        var retryAfter: Double? { error?.retryAfter }
    }

    struct CycleSummary {
        var polled = 0
        var errors = 0
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

    /// Polls one run: the status call, then for WES the details call when the run is new or its state moved.
    private func pollRun(_ poll: DuePoll, _ ctx: PollContext) async -> PollResult {
        let adapter = ctx.target.vendor.adapter
        let target = ctx.target
        var result = PollResult(runID: poll.runID)
        let (statusOutcome, statusLatency, response) = await request(adapter.statusRequest(runID: poll.runID), ctx) { response, decodeContext in
            adapter.decodeStatus(response, runID: poll.runID, context: decodeContext)
        }
        note(&result, response: response, outcome: statusOutcome)

        guard case .observed(var obs) = statusOutcome else {
            if case .failed(let e) = statusOutcome {
                logger.debug("poll failed", ["target": target.name, "run": poll.runID, "reason": e.reason.rawValue, "error": e.message])
            }
            store.record(target: target.name, runID: poll.runID, outcome: statusOutcome, latency: statusLatency, at: now())
            return result
        }

        let moved = poll.previous.map { $0.state != obs.state || $0.vendorState != obs.vendorState } ?? true
        var detailsMissing = false
        var details: (PollOutcome, Double)?
        if obs.timesUnknown, moved || poll.needsDetails, let detailsRequest = adapter.detailsRequest(runID: poll.runID) {
            let (outcome, latency, response) = await request(detailsRequest, ctx) { response, decodeContext in
                adapter.decodeDetails(response, runID: poll.runID, context: decodeContext)
            }
            note(&result, response: response, outcome: outcome)
            details = (outcome, latency)
            switch outcome {
            case .observed(let d):
                obs.startTime = d.startTime
                obs.endTime = obs.state.isTerminal ? d.endTime : nil
                obs.timesUnknown = false
            case .failed(let e):
                detailsMissing = true
                logger.debug("details call failed", ["target": target.name, "run": poll.runID, "reason": e.reason.rawValue, "error": e.message])
            }
        }

        if moved {
            logger.info("run state", ["target": target.name, "vendor": target.vendor.rawValue, "run": poll.runID,
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

    private func note(_ result: inout PollResult, response: VendorResponse?, outcome: PollOutcome) {
        if let status = response?.status {
            // A gateway error means a proxy answered, not the vendor.
            if ![502, 503, 504].contains(status) { result.reached = true }
            if status == 401 || status == 403 { result.authFailed = true }
        }
        if case .failed(let e) = outcome, result.error == nil { result.error = e }
    }

    private func request(_ req: VendorRequest, _ ctx: PollContext,
                         decode: (VendorResponse, DecodeContext) -> Result<RunObservation, PollError>)
        async -> (PollOutcome, Double, VendorResponse?) {
        guard let url = URL(string: ctx.target.url + req.pathAndQuery) else {
            return (.failed(PollError(.badRequest, "cannot form a URL from path \(req.pathAndQuery)")), 0, nil)
        }
        var headers = req.headers
        for (k, v) in ctx.headers { headers[k] = v }
        let clock = ContinuousClock()
        let started = clock.now
        let fetched = await fetcher.get(url, headers: headers, timeout: ctx.target.timeout, maxBodyBytes: ctx.maxBodyBytes)
        let elapsed = started.duration(to: clock.now)
        let latency = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        switch fetched {
        case .failure(let e):
            return (.failed(e), latency, nil)
        case .success(let response):
            let decodeContext = DecodeContext(timeZoneIdentifier: ctx.target.timeZone, now: now())
            switch decode(response, decodeContext) {
            case .success(let obs): return (.observed(obs), latency, response)
            case .failure(let e): return (.failed(e), latency, response)
            }
        }
    }
}

/// The time before which a target's vendor asked not to be called (Retry-After), shared by a cycle's requests.
final class Backoff: Sendable {
    private let value = Mutex<Double>(0)
    var until: Double { value.withLock { $0 } }
    func extend(to t: Double) { value.withLock { $0 = max($0, t) } }
}
