import Exposition
import RunStatusModel
import Synchronization

/// What the exporter knows, behind one lock. The poller writes small updates; a scrape takes a snapshot copy
/// (copy-on-write, so O(1) under the lock) and renders it without holding the lock.
public final class MetricsStore: Sendable {
    private let state: Mutex<StoreState>

    public init(config: ExporterConfig) {
        state = Mutex(StoreState())
        apply(config)
    }

    public func snapshot() -> StoreState {
        state.withLock { $0 }
    }

    /// Installs a (new) config: targets and runs that remain keep their observations and counters;
    /// removed ones vanish from /metrics.
    public func apply(_ config: ExporterConfig) {
        state.withLock { s in
            var targets: [TargetEntry] = []
            for t in config.targets {
                var entry: TargetEntry
                if let old = s.targetIndex[t.name], s.targets[old].vendor == t.vendor {
                    entry = s.targets[old]
                    entry.reconfigure(t)
                } else {
                    entry = TargetEntry(config: t)
                }
                targets.append(entry)
            }
            s.targets = targets
            s.targetIndex = Dictionary(uniqueKeysWithValues: targets.enumerated().map { ($1.name, $0) })
        }
    }

    /// The runs of a target due for a poll at `now`: never polled first, then non-terminal, then terminal.
    func duePolls(target: String, now: Double, pollInterval: Double, terminalInterval: Double) -> [DuePoll] {
        state.withLock { s in
            guard let ti = s.targetIndex[target] else { return [] }
            // A little slack so a poll that finished a moment late is not pushed to the next tick.
            let slack = min(1.0, pollInterval * 0.1)
            var fresh: [DuePoll] = [], active: [DuePoll] = [], terminal: [DuePoll] = []
            for run in s.targets[ti].runs {
                let due = DuePoll(runID: run.runID, needsDetails: run.needsDetails, previous: run.observation)
                guard let last = run.lastAttempt else { fresh.append(due); continue }
                if let obs = run.observation, obs.state.isTerminal {
                    if now - last >= terminalInterval - slack { terminal.append(due) }
                } else if now - last >= pollInterval - slack {
                    active.append(due)
                }
            }
            return fresh + active + terminal
        }
    }

    /// Records the outcome of one request to a vendor.
    /// `detailsMissing`: the observation lacks times a details call should have given (WES); try again next poll.
    func record(target: String, runID: String, outcome: PollOutcome, latency: Double, at now: Double, detailsMissing: Bool = false) {
        state.withLock { s in
            guard let ti = s.targetIndex[target] else { return }
            s.targets[ti].record(runID: runID, outcome: outcome, latency: latency, now: now)
            if detailsMissing, let ri = s.targets[ti].runIndex[runID] { s.targets[ti].runs[ri].needsDetails = true }
        }
    }

    /// Counts a request that is not a run's own status poll (WES details): latency, errors, success time.
    func recordRequest(target: String, outcome: PollOutcome, latency: Double, at now: Double) {
        state.withLock { s in
            guard let ti = s.targetIndex[target] else { return }
            s.targets[ti].recordRequest(outcome: outcome, latency: latency, now: now)
        }
    }

    /// Closes one poll cycle of a target: `reached` when any answer came from the vendor, `authFailed` on 401/403.
    func finishCycle(target: String, reached: Bool, authFailed: Bool) {
        state.withLock { s in
            if let ti = s.targetIndex[target] {
                s.targets[ti].up = reached && !authFailed
            }
        }
    }

    /// Marks the first poll cycle of every target as done (`/-/ready`).
    func markReady() {
        state.withLock { $0.ready = true }
    }

    public var isReady: Bool { state.withLock { $0.ready } }

    func recordReload(success: Bool, at now: Double) {
        state.withLock { s in
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
}

/// The result of one request: an observation, or an error.
enum PollOutcome: Sendable {
    case observed(RunObservation)
    case failed(PollError)
}

/// The whole state: a value, so a snapshot is a copy.
public struct StoreState: Sendable {
    var targets: [TargetEntry] = []
    var targetIndex: [String: Int] = [:]
    var ready = false
    var lastReloadSuccessful = true
    var lastReloadSuccess: Double?
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

    static let terminalStates: [RunState] = [.succeeded, .failed, .cancelled]

    init(config: TargetConfig) {
        name = config.name
        vendor = config.vendor
        labels = LabelSet([("vendor", config.vendor.rawValue), ("target", config.name)])
        reconfigure(config)
    }

    mutating func reconfigure(_ config: TargetConfig) {
        var runs: [RunEntry] = []
        for r in config.runs {
            if let old = runIndex[r.id] {
                var kept = self.runs[old]
                kept.setRunLabels(r.labels)
                runs.append(kept)
            } else {
                runs.append(RunEntry(runID: r.id, target: labels, runLabels: r.labels))
            }
        }
        self.runs = runs
        runIndex = Dictionary(uniqueKeysWithValues: runs.enumerated().map { ($1.runID, $0) })
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
        switch outcome {
        case .failed:
            break
        case .observed(var obs):
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
            runs[ri].observation = obs
            runs[ri].needsDetails = false
        }
    }
}

struct RunEntry: Sendable {
    let runID: String
    /// `vendor="…",target="…",run_id="…"`, encoded once.
    let labels: LabelSet
    /// `labels` plus the user's run labels, for run_info (vendor_state comes first, added at render).
    private(set) var infoLabels: LabelSet
    private(set) var runLabels: [LabelPair]
    var observation: RunObservation?
    var lastAttempt: Double?
    var finishedCounted = false
    /// True until a details call (WES) has given this run its times for its current state.
    var needsDetails = false

    init(runID: String, target: LabelSet, runLabels: [LabelPair]) {
        self.runID = runID
        labels = target.appending("run_id", runID)
        self.runLabels = []
        infoLabels = labels
        setRunLabels(runLabels)
    }

    mutating func setRunLabels(_ pairs: [LabelPair]) {
        runLabels = pairs
        var l = labels
        for p in pairs { l.append(p.name, p.value) }
        infoLabels = l
    }

    /// The normalized state, `unknown` until the run has answered once.
    var state: RunState { observation?.state ?? .unknown }
}
