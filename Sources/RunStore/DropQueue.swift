import Configuration
import Exposition
import RunStatusModel
import Synchronization

/// Finished runs with per-run series, oldest end first, for dropping when the cap is reached.
struct DropQueue {
    package struct Victim { let target: Int; let runID: String; let finishedAt: Double }
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
