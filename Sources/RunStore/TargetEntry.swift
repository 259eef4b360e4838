import Configuration
import Exposition
import RunStatusModel
import Synchronization

package struct TargetEntry: Sendable {
    let name: String
    let vendor: Vendor
    /// `vendor="…",target="…"`, encoded once.
    package let labels: LabelSet
    package var runs: [RunEntry] = []
    package var runIndex: [String: Int] = [:]
    package var polls: UInt64 = 0
    package var errors = [UInt64](repeating: 0, count: PollErrorReason.allCases.count)
    package var up = false
    package var lastSuccess: Double?
    package var pollDuration = Histogram(bounds: Histogram.pollDurationBounds)
    /// Indexed like `TargetEntry.terminalStates`.
    package var finished: [UInt64] = [0, 0, 0]
    package var finishedDuration = Array(repeating: Histogram(bounds: Histogram.runDurationBounds), count: 3)
    package var unmapped: UInt64 = 0
    package var rateLimitWaits: UInt64 = 0
    /// Per-run series dropped or refused for `max_series`.
    package var seriesDropped: UInt64 = 0
    package var perRunMetrics = true
    package var discovery: DiscoveryConfig?
    /// Discovered runs not to take back while the vendor still lists them (past `max_age`, or dropped for the cap).
    var expired: Set<String> = []
    /// Discovered runs refused for the cap, counted once; taken when there is room again.
    package var refused: Set<String> = []
    /// For refused runs listed finished without an end time: when they were first seen finished, which orders them
    /// against the kept runs at the next listings.
    package var refusedFinishedSince: [String: Double] = [:]

    package static let terminalStates: [RunState] = [.succeeded, .failed, .cancelled]

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

    package var discoveredCount: Int { runs.count(where: \.listed) }

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

    package mutating func recordRequest(outcome: PollOutcome, latency: Double, now: Double) {
        polls += 1
        pollDuration.observe(latency)
        switch outcome {
        case .failed(let error): errors[PollErrorReason.allCases.firstIndex(of: error.reason)!] += 1
        case .observed: lastSuccess = now
        }
    }

    package mutating func record(runID: String, outcome: PollOutcome, latency: Double, now: Double) {
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
