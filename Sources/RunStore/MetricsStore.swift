import Configuration
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
    package var refusedAtApply: Int { state.withLock { $0.refusedAtApply } }

    /// Reads the state under the lock (for what is due: `PollScheduler`), without copying it.
    package func read<T>(_ body: (StoreState) -> T) -> T {
        state.withLock { body($0) }
    }

    /// Installs what a listing found: new runs join (within `max_series`), listed observations are recorded (sparing
    /// those runs' polls this cycle), and, when the listing was `complete`, discovered runs no longer listed leave.
    /// Finished discovered runs older than `max_age` leave too. Per-target counters keep their counts.
    package func applyListing(target: String, runs listed: [ListedRun], complete: Bool, at now: Double) -> ListingOutcome {
        mutate { s in
            guard let ti = s.targetIndex[target] else { return ListingOutcome() }
            return s.applyListing(ti, listed.filter { shard.contains(target: target, runID: $0.runID) }, complete: complete, now: now)
        }
    }

    /// Counts requests the rate budget or the vendor (`X-RateLimit-*`, `Retry-After`) held back: made to wait, or
    /// left for a later cycle.
    package func countRateLimitWait(target: String, requests: Int = 1) {
        guard requests > 0 else { return }
        mutate { s in
            if let ti = s.targetIndex[target] { s.targets[ti].rateLimitWaits += UInt64(requests) }
        }
    }

    /// Records the outcome of one request to a vendor.
    /// `detailsMissing`: the observation lacks times a details call should have given (WES); try again next poll.
    package func record(target: String, runID: String, outcome: PollOutcome, latency: Double, at now: Double, detailsMissing: Bool = false) {
        mutate { s in
            guard let ti = s.targetIndex[target] else { return }
            s.targets[ti].record(runID: runID, outcome: outcome, latency: latency, now: now)
            if detailsMissing, let ri = s.targets[ti].runIndex[runID] { s.targets[ti].runs[ri].needsDetails = true }
        }
    }

    /// Counts a request that is not a run's own status poll (WES details): latency, errors, success time.
    package func recordRequest(target: String, outcome: PollOutcome, latency: Double, at now: Double) {
        mutate { s in
            guard let ti = s.targetIndex[target] else { return }
            s.targets[ti].recordRequest(outcome: outcome, latency: latency, now: now)
        }
    }

    /// Counts one list request: latency, errors (by reason, as poll errors), success time.
    package func recordListRequest(target: String, error: PollError?, latency: Double, at now: Double) {
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
    package func finishCycle(target: String, reached: Bool, authFailed: Bool) {
        mutate { s in
            if let ti = s.targetIndex[target] {
                s.targets[ti].up = reached && !authFailed
            }
        }
    }

    /// Marks the first poll cycle of every target as done (`/-/ready`).
    package func markReady() {
        mutate { $0.ready = true }
    }

    public var isReady: Bool { state.withLock { $0.ready } }

    package func recordReload(success: Bool, at now: Double) {
        mutate { s in
            s.lastReloadSuccessful = success
            if success { s.lastReloadSuccess = now }
        }
    }
}
