import Configuration
import Exposition
import RunStatusModel
import Synchronization

/// The whole state: a value, so a snapshot is a copy.
public struct StoreState: Sendable {
    var generation: UInt64 = 0
    package var targets: [TargetEntry] = []
    package var targetIndex: [String: Int] = [:]
    var ready = false
    package var lastReloadSuccessful = true
    package var lastReloadSuccess: Double?
    var maxSeries = ExporterConfig.defaultMaxSeries
    package var refusedAtApply = 0

    /// The series the targets and their runs may produce, counted as `SeriesBudget` does.
    var seriesUsed: Int {
        targets.reduce(0) { $0 + $1.seriesCost }
    }

    package mutating func applyListing(_ ti: Int, _ listed: [ListedRun], complete: Bool, now: Double) -> ListingOutcome {
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
