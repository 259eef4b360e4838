import Exposition
import RunStatusModel
import Synchronization

/// What the exporter knows, behind one lock. The poller writes small updates; a scrape takes a snapshot copy
/// (copy-on-write, so O(1) under the lock) and renders it without holding the lock.
public final class MetricsStore: Sendable {
    private let state: Mutex<StoreState>
    /// The runs this exporter keeps (`--shard`, `--total-shards`); fixed for the life of the process.
    public let shard: Shard

    public init(config: ExporterConfig, shard: Shard = .all) {
        state = Mutex(StoreState())
        self.shard = shard
        apply(config)
    }

    public func snapshot() -> StoreState {
        state.withLock { $0 }
    }

    /// Bumped by every change: what a rendered body was made from (`RenderCache`).
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Every write goes through here, so the generation moves with the state.
    private func mutate<T>(_ body: (inout StoreState) -> T) -> T {
        state.withLock { s in
            s.generation &+= 1
            return body(&s)
        }
    }

    /// Installs a (new) config: targets and runs that remain keep their observations and counters;
    /// removed ones vanish from /metrics. Runs outside this exporter's shard are left out; configured runs past
    /// `max_series` are refused (counted in `series_dropped`). Returns how many runs were refused.
    @discardableResult
    public func apply(_ config: ExporterConfig) -> Int {
        mutate { s in
            var targets: [TargetEntry] = []
            for t in config.targets {
                var entry: TargetEntry
                if let old = s.targetIndex[t.name], s.targets[old].vendor == t.vendor {
                    entry = s.targets[old]
                    entry.reconfigure(t, shard: shard)
                } else {
                    entry = TargetEntry(config: t, shard: shard)
                }
                targets.append(entry)
            }
            s.targets = targets
            s.targetIndex = Dictionary(uniqueKeysWithValues: targets.enumerated().map { ($1.name, $0) })
            s.maxSeries = config.maxSeries
            s.refusedAtApply = s.enforceCap()
            return s.refusedAtApply
        }
    }

    /// Runs the last `apply` dropped or refused to stay within `max_series`.
    var refusedAtApply: Int { state.withLock { $0.refusedAtApply } }

    /// The runs of a target due for a poll at `now`, in the order a cycle that cannot fit them all should take
    /// them: never polled first, then non-terminal runs (longest unpolled first), then terminal ones (likewise).
    func duePolls(target: String, now: Double, pollInterval: Double, terminalInterval: Double) -> [DuePoll] {
        state.withLock { s in
            guard let ti = s.targetIndex[target] else { return [] }
            // A little slack so a poll that finished a moment late is not pushed to the next tick.
            let slack = min(1.0, pollInterval * 0.1)
            var fresh: [DuePoll] = []
            var active: [(Double, DuePoll)] = [], terminal: [(Double, DuePoll)] = []
            for run in s.targets[ti].runs {
                let due = DuePoll(runID: run.runID, needsDetails: run.needsDetails, previous: run.observation,
                                  detailsOnly: run.listedStateUnconfirmed)
                // A state the list reported that the poll has yet to confirm (with times) is as urgent as a new run.
                guard let last = run.lastAttempt, !run.listedStateUnconfirmed else { fresh.append(due); continue }
                if let obs = run.observation, obs.state.isTerminal {
                    if now - last >= terminalInterval - slack { terminal.append((last, due)) }
                } else if now - last >= pollInterval - slack {
                    active.append((last, due))
                }
            }
            // Stable: equal times keep the store's order.
            func oldestFirst(_ list: [(Double, DuePoll)]) -> [DuePoll] {
                list.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element.1)
            }
            return fresh + oldestFirst(active) + oldestFirst(terminal)
        }
    }

    /// Installs what a listing found: new runs join (within `max_series`), listed observations are recorded (sparing
    /// those runs' polls this cycle), and, when the listing was `complete`, discovered runs no longer listed leave.
    /// Finished discovered runs older than `max_age` leave too. Per-target counters keep their counts.
    func applyListing(target: String, runs listed: [ListedRun], complete: Bool, at now: Double) -> ListingOutcome {
        mutate { s in
            guard let ti = s.targetIndex[target] else { return ListingOutcome() }
            return s.applyListing(ti, listed.filter { shard.contains(target: target, runID: $0.runID) }, complete: complete, now: now)
        }
    }

    /// Counts requests the rate budget or the vendor (`X-RateLimit-*`, `Retry-After`) held back: made to wait, or
    /// left for a later cycle.
    func countRateLimitWait(target: String, requests: Int = 1) {
        guard requests > 0 else { return }
        mutate { s in
            if let ti = s.targetIndex[target] { s.targets[ti].rateLimitWaits += UInt64(requests) }
        }
    }

    /// Records the outcome of one request to a vendor.
    /// `detailsMissing`: the observation lacks times a details call should have given (WES); try again next poll.
    func record(target: String, runID: String, outcome: PollOutcome, latency: Double, at now: Double, detailsMissing: Bool = false) {
        mutate { s in
            guard let ti = s.targetIndex[target] else { return }
            s.targets[ti].record(runID: runID, outcome: outcome, latency: latency, now: now)
            if detailsMissing, let ri = s.targets[ti].runIndex[runID] { s.targets[ti].runs[ri].needsDetails = true }
        }
    }

    /// Counts a request that is not a run's own status poll (WES details): latency, errors, success time.
    func recordRequest(target: String, outcome: PollOutcome, latency: Double, at now: Double) {
        mutate { s in
            guard let ti = s.targetIndex[target] else { return }
            s.targets[ti].recordRequest(outcome: outcome, latency: latency, now: now)
        }
    }

    /// Counts one list request: latency, errors (by reason, as poll errors), success time.
    func recordListRequest(target: String, error: PollError?, latency: Double, at now: Double) {
        mutate { s in
            guard let ti = s.targetIndex[target] else { return }
            s.targets[ti].polls += 1
            s.targets[ti].pollDuration.observe(latency)
            if let error {
                s.targets[ti].errors[PollErrorReason.allCases.firstIndex(of: error.reason)!] += 1
            } else {
                s.targets[ti].lastSuccess = now
            }
        }
    }

    /// Closes one poll cycle of a target: `reached` when any answer came from the vendor, `authFailed` on 401/403.
    func finishCycle(target: String, reached: Bool, authFailed: Bool) {
        mutate { s in
            if let ti = s.targetIndex[target] {
                s.targets[ti].up = reached && !authFailed
            }
        }
    }

    /// Marks the first poll cycle of every target as done (`/-/ready`).
    func markReady() {
        mutate { $0.ready = true }
    }

    public var isReady: Bool { state.withLock { $0.ready } }

    func recordReload(success: Bool, at now: Double) {
        mutate { s in
            s.lastReloadSuccessful = success
            if success { s.lastReloadSuccess = now }
        }
    }
}

/// One run to poll, with what is known of it already.
struct DuePoll: Sendable {
    var runID: String
    var needsDetails: Bool
    var previous: RunObservation?
    /// The list already gave the state (WES): the details call alone, which has the state and the times, will do.
    var detailsOnly = false
}

/// What applying a listing changed, for the log.
struct ListingOutcome: Sendable, Equatable {
    var added = 0
    var removed = 0
    var refused = 0
}

/// The result of one request: an observation, or an error.
enum PollOutcome: Sendable {
    case observed(RunObservation)
    case failed(PollError)
}

/// The whole state: a value, so a snapshot is a copy.
public struct StoreState: Sendable {
    var generation: UInt64 = 0
    var targets: [TargetEntry] = []
    var targetIndex: [String: Int] = [:]
    var ready = false
    var lastReloadSuccessful = true
    var lastReloadSuccess: Double?
    var maxSeries = ExporterConfig.defaultMaxSeries
    var refusedAtApply = 0

    /// The series the targets and their runs may produce, counted as `SeriesBudget` does.
    var seriesUsed: Int {
        targets.reduce(0) { $0 + $1.seriesCost }
    }

    mutating func applyListing(_ ti: Int, _ listed: [ListedRun], complete: Bool, now: Double) -> ListingOutcome {
        var outcome = ListingOutcome()
        guard let discovery = targets[ti].discovery else { return outcome }
        var used = seriesUsed
        let perRun = targets[ti].perRunMetrics ? SeriesBudget.perRun : 0
        var queue: DropQueue?
        var removals = [Set<String>](repeating: [], count: targets.count)
        let listedIDs = Set(listed.map(\.runID))
        if complete {
            // Only ids the vendor still lists are remembered: the sets stay as small as the window.
            targets[ti].expired.formIntersection(listedIDs)
            targets[ti].refused.formIntersection(listedIDs)
            targets[ti].refusedFinishedSince = targets[ti].refusedFinishedSince.filter { listedIDs.contains($0.key) }
        }
        var fresh: [ListedRun] = []
        var seen = Set<String>()
        // Runs already known: listed again, with what the list says of them.
        for item in listed where seen.insert(item.runID).inserted {
            guard let ri = targets[ti].runIndex[item.runID] else { fresh.append(item); continue }
            targets[ti].runs[ri].listed = true
            if let obs = item.observation { targets[ti].recordListed(ri, obs, now: now) }
        }
        // Runs that left the window or aged out make room before new ones are weighed against the cap.
        for run in targets[ti].runs where run.listed {
            if complete, !listedIDs.contains(run.runID) {
                // A configured run stays, merely no longer listed.
                if run.configured {
                    targets[ti].runs[targets[ti].runIndex[run.runID]!].listed = false
                } else {
                    removals[ti].insert(run.runID)
                    used -= perRun
                    outcome.removed += 1
                }
            } else if !run.configured, let finishedAt = run.finishedAt, now - finishedAt > discovery.maxAge {
                removals[ti].insert(run.runID)
                targets[ti].expired.insert(run.runID)
                used -= perRun
                outcome.removed += 1
            }
        }
        for item in fresh {
            if targets[ti].expired.contains(item.runID) { continue }
            // Without an end time, a run finished when it was first seen finished: a run refused earlier keeps
            // that moment, so it is not taken for newer than the runs kept in its place at every listing.
            let finishedAt = item.observation.flatMap {
                $0.state.isTerminal ? ($0.endTime ?? targets[ti].refusedFinishedSince[item.runID] ?? now) : nil
            }
            if let finishedAt, now - finishedAt > discovery.maxAge {
                targets[ti].expired.insert(item.runID)
                continue
            }
            if perRun > 0, used + perRun > maxSeries {
                if queue == nil { queue = DropQueue(self) }
                // Make room by dropping the oldest finished run, unless this one finished even earlier.
                guard let victim = queue!.popOldest(unless: finishedAt, removed: removals) else {
                    if targets[ti].refused.insert(item.runID).inserted {
                        targets[ti].seriesDropped += UInt64(perRun)
                        outcome.refused += 1
                    }
                    if let finishedAt, item.observation?.endTime == nil { targets[ti].refusedFinishedSince[item.runID] = finishedAt }
                    continue
                }
                removals[victim.target].insert(victim.runID)
                targets[victim.target].seriesDropped += UInt64(SeriesBudget.perRun)
                if targets[victim.target].discovery != nil { targets[victim.target].expired.insert(victim.runID) }
                used -= SeriesBudget.perRun
                if victim.target == ti { outcome.removed += 1 }
            }
            targets[ti].refused.remove(item.runID)
            let ri = targets[ti].addDiscovered(item.runID)
            if item.observation?.endTime == nil {
                targets[ti].runs[ri].terminalSince = targets[ti].refusedFinishedSince.removeValue(forKey: item.runID)
            }
            used += perRun
            outcome.added += 1
            if let obs = item.observation { targets[ti].recordListed(ri, obs, now: now) }
        }
        for (i, ids) in removals.enumerated() where !ids.isEmpty { targets[i].remove(ids) }
        return outcome
    }

    /// Brings the series back under `maxSeries` after a config change: the oldest finished runs go first, then
    /// runs from the end of the config. Returns how many runs were refused.
    mutating func enforceCap() -> Int {
        var used = seriesUsed
        guard used > maxSeries else { return 0 }
        var queue = DropQueue(self)
        var removals = [Set<String>](repeating: [], count: targets.count)
        var dropped = 0
        while used > maxSeries, let victim = queue.popOldest(unless: nil, removed: removals) {
            removals[victim.target].insert(victim.runID)
            if targets[victim.target].discovery != nil { targets[victim.target].expired.insert(victim.runID) }
            targets[victim.target].seriesDropped += UInt64(SeriesBudget.perRun)
            used -= SeriesBudget.perRun
            dropped += 1
        }
        for ti in targets.indices.reversed() where targets[ti].perRunMetrics {
            for run in targets[ti].runs.reversed() where used > maxSeries && !removals[ti].contains(run.runID) {
                removals[ti].insert(run.runID)
                if run.listed {
                    targets[ti].refused.insert(run.runID)
                    if let since = run.terminalSince, run.observation?.endTime == nil { targets[ti].refusedFinishedSince[run.runID] = since }
                }
                targets[ti].seriesDropped += UInt64(SeriesBudget.perRun)
                used -= SeriesBudget.perRun
                dropped += 1
            }
        }
        for (i, ids) in removals.enumerated() where !ids.isEmpty { targets[i].remove(ids) }
        return dropped
    }
}

/// The series budget `max_series` is counted in. A run costs its per-run families at most (the seven
/// `run_state` series, `run_info` and five gauges), or nothing when its target has `per_run_metrics: false`;
/// a target costs its aggregates. Exporter-wide families (build info, process, HTTP) are not counted.
enum SeriesBudget {
    static let perRun = RunState.allCases.count + 1 + 5

    static func perTarget(discovery: Bool) -> Int {
        let histogram = { (h: Histogram) in h.bounds.count + 3 }  // buckets, +Inf, _sum, _count
        return RunState.allCases.count  // runstatus_runs
            + 3  // up, polls_total, last_poll_success
            + PollErrorReason.allCases.count
            + histogram(Histogram(bounds: Histogram.pollDurationBounds))
            + TargetEntry.terminalStates.count * (1 + histogram(Histogram(bounds: Histogram.runDurationBounds)))
            + 3  // unmapped_states_total, rate_limit_waits_total, series_dropped_total
            + (discovery ? 1 : 0)  // discovered_runs
    }
}

/// Finished runs with per-run series, oldest end first, for dropping when the cap is reached.
struct DropQueue {
    struct Victim { let target: Int; let runID: String; let finishedAt: Double }
    /// Newest first, so the oldest pops off the end.
    private var victims: [Victim]

    init(_ s: StoreState) {
        var list: [Victim] = []
        for (ti, t) in s.targets.enumerated() where t.perRunMetrics {
            for run in t.runs {
                if let at = run.finishedAt { list.append(Victim(target: ti, runID: run.runID, finishedAt: at)) }
            }
        }
        // Runs of equal finish time were seen finished by one listing, which added them in its order, newest
        // first: of those, the one added last is the oldest and goes first.
        victims = list.enumerated().sorted { a, b in
            a.element.finishedAt != b.element.finishedAt ? a.element.finishedAt > b.element.finishedAt : a.offset < b.offset
        }.map(\.element)
    }

    /// The oldest finished run not yet removed; nil when there is none, or when `candidate` (the finish time of
    /// the run wanting the room) is not newer: a run seen finished by the same listing as a kept one comes later
    /// in that newest-first list, so it is the older of the two.
    mutating func popOldest(unless candidate: Double?, removed: [Set<String>]) -> Victim? {
        while let last = victims.last {
            if removed[last.target].contains(last.runID) { victims.removeLast(); continue }
            if let candidate, candidate <= last.finishedAt { return nil }
            return victims.removeLast()
        }
        return nil
    }
}

struct TargetEntry: Sendable {
    let name: String
    let vendor: Vendor
    /// `vendor="…",target="…"`, encoded once.
    let labels: LabelSet
    var runs: [RunEntry] = []
    var runIndex: [String: Int] = [:]
    var polls: UInt64 = 0
    var errors = [UInt64](repeating: 0, count: PollErrorReason.allCases.count)
    var up = false
    var lastSuccess: Double?
    var pollDuration = Histogram(bounds: Histogram.pollDurationBounds)
    /// Indexed like `TargetEntry.terminalStates`.
    var finished: [UInt64] = [0, 0, 0]
    var finishedDuration = Array(repeating: Histogram(bounds: Histogram.runDurationBounds), count: 3)
    var unmapped: UInt64 = 0
    var rateLimitWaits: UInt64 = 0
    /// Per-run series dropped or refused for `max_series`.
    var seriesDropped: UInt64 = 0
    var perRunMetrics = true
    var discovery: DiscoveryConfig?
    /// Discovered runs not to take back while the vendor still lists them (past `max_age`, or dropped for the cap).
    var expired: Set<String> = []
    /// Discovered runs refused for the cap, counted once; taken when there is room again.
    var refused: Set<String> = []
    /// For refused runs listed finished without an end time: when they were first seen finished, which orders them
    /// against the kept runs at the next listings.
    var refusedFinishedSince: [String: Double] = [:]

    static let terminalStates: [RunState] = [.succeeded, .failed, .cancelled]

    init(config: TargetConfig, shard: Shard = .all) {
        name = config.name
        vendor = config.vendor
        labels = LabelSet([("vendor", config.vendor.rawValue), ("target", config.name)])
        reconfigure(config, shard: shard)
    }

    /// Configured runs in the config's order (those of this shard), then the discovered ones kept while the
    /// target still discovers.
    mutating func reconfigure(_ config: TargetConfig, shard: Shard = .all) {
        perRunMetrics = config.perRunMetrics
        discovery = config.discover
        var runs: [RunEntry] = []
        var configured = Set<String>()
        for r in config.runs where shard.contains(target: config.name, runID: r.id) {
            configured.insert(r.id)
            if let old = runIndex[r.id] {
                var kept = self.runs[old]
                kept.setRunLabels(r.labels)
                kept.configured = true
                runs.append(kept)
            } else {
                var entry = RunEntry(runID: r.id, target: labels, runLabels: r.labels)
                entry.configured = true
                runs.append(entry)
            }
        }
        if discovery != nil {
            for var run in self.runs where run.listed && !configured.contains(run.runID) {
                run.configured = false
                run.setRunLabels([])
                runs.append(run)
            }
        } else {
            expired = []
            refused = []
            refusedFinishedSince = [:]
        }
        self.runs = runs
        runIndex = Dictionary(uniqueKeysWithValues: runs.enumerated().map { ($1.runID, $0) })
    }

    var seriesCost: Int {
        SeriesBudget.perTarget(discovery: discovery != nil) + (perRunMetrics ? runs.count * SeriesBudget.perRun : 0)
    }

    var discoveredCount: Int { runs.count(where: \.listed) }

    /// Appends a run found by discovery; returns its index.
    mutating func addDiscovered(_ runID: String) -> Int {
        var entry = RunEntry(runID: runID, target: labels, runLabels: [])
        entry.listed = true
        runs.append(entry)
        runIndex[runID] = runs.count - 1
        return runs.count - 1
    }

    mutating func remove(_ ids: Set<String>) {
        runs.removeAll { ids.contains($0.runID) }
        runIndex = Dictionary(uniqueKeysWithValues: runs.enumerated().map { ($1.runID, $0) })
    }

    /// An observation a list call carried. A WES list entry has the state only: it stands in for a status poll
    /// when the state has not moved (the times already known stay); a new or moved run is left to its poll, whose
    /// details call fetches the times.
    mutating func recordListed(_ ri: Int, _ obs: RunObservation, now: Double) {
        if obs.timesUnknown {
            guard let previous = runs[ri].observation, previous.state == obs.state, previous.vendorState == obs.vendorState,
                  !runs[ri].needsDetails else {
                runs[ri].listedStateUnconfirmed = true
                // The list is where the run was first seen finished, even before a poll confirms it.
                if obs.state.isTerminal, runs[ri].terminalSince == nil { runs[ri].terminalSince = now }
                return
            }
        }
        runs[ri].lastAttempt = now
        recordObservation(ri, obs, now: now)
    }

    mutating func recordRequest(outcome: PollOutcome, latency: Double, now: Double) {
        polls += 1
        pollDuration.observe(latency)
        switch outcome {
        case .failed(let error): errors[PollErrorReason.allCases.firstIndex(of: error.reason)!] += 1
        case .observed: lastSuccess = now
        }
    }

    mutating func record(runID: String, outcome: PollOutcome, latency: Double, now: Double) {
        recordRequest(outcome: outcome, latency: latency, now: now)
        guard let ri = runIndex[runID] else { return }
        runs[ri].lastAttempt = now
        if case .observed(let obs) = outcome { recordObservation(ri, obs, now: now) }
    }

    /// A run's new observation: finished counts, unmapped values, the time it became terminal.
    mutating func recordObservation(_ ri: Int, _ observation: RunObservation, now: Double) {
        var obs = observation
        let previous = runs[ri].observation
        if obs.timesUnknown, let previous {
            // WES /status carries no times: keep those the details call gave us.
            obs.startTime = previous.startTime
            obs.endTime = obs.state.isTerminal ? previous.endTime : nil
        }
        if !obs.mapped { unmapped += 1 }
        // Count a run once, when we see it enter a terminal state (not when first seen already finished:
        // a restart of the exporter must not count old runs again).
        if obs.state.isTerminal, let previous, !previous.state.isTerminal, !runs[ri].finishedCounted {
            runs[ri].finishedCounted = true
            let k = TargetEntry.terminalStates.firstIndex(of: obs.state)!
            finished[k] += 1
            if let start = obs.startTime, let end = obs.endTime, end >= start {
                finishedDuration[k].observe(end - start)
            }
        }
        if previous == nil, obs.state.isTerminal { runs[ri].finishedCounted = true }
        if !obs.state.isTerminal {
            runs[ri].terminalSince = nil
        } else if runs[ri].terminalSince == nil {
            runs[ri].terminalSince = now
        }
        runs[ri].observation = obs
        runs[ri].needsDetails = false
        runs[ri].listedStateUnconfirmed = false
    }
}

struct RunEntry: Sendable {
    let runID: String
    /// `vendor="…",target="…",run_id="…"`, encoded once.
    let labels: LabelSet
    /// The user's run labels, for run_info (after vendor_state, added at render).
    private(set) var runLabels: [LabelPair]
    var observation: RunObservation?
    var lastAttempt: Double?
    var finishedCounted = false
    /// True until a details call (WES) has given this run its times for its current state.
    var needsDetails = false
    /// A list reported a new state without times (WES) that no poll has confirmed yet.
    var listedStateUnconfirmed = false
    /// Named in the config (kept whatever discovery finds); found by the target's last listing.
    var configured = false
    var listed = false
    /// When the run was first seen in its current terminal state, for runs whose vendor gives no end time.
    var terminalSince: Double?

    /// When the run finished (its end time, else when it was first seen finished); nil while it has not.
    var finishedAt: Double? {
        guard let obs = observation, obs.state.isTerminal else { return nil }
        return obs.endTime ?? terminalSince
    }

    init(runID: String, target: LabelSet, runLabels: [LabelPair]) {
        self.runID = runID
        labels = target.appending("run_id", runID)
        self.runLabels = runLabels
    }

    mutating func setRunLabels(_ pairs: [LabelPair]) {
        runLabels = pairs
    }

    /// The normalized state, `unknown` until the run has answered once.
    var state: RunState { observation?.state ?? .unknown }
}
