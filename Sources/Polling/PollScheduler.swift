import Configuration
import RunStatusModel
import RunStore

/// What is due: a pure function of the store's state and `now`, so a test decides the time.
enum PollScheduler {
    /// The runs of a target due for a poll at `now`, in the order a cycle that cannot fit them all should take
    /// them: never polled first, then non-terminal runs (longest unpolled first), then terminal ones (likewise).
    static func duePolls(in s: StoreState, target: String, now: Double, pollInterval: Double,
                         terminalInterval: Double) -> [DuePoll] {
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

extension MetricsStore {
    /// `PollScheduler.duePolls` on the current state, read under the store's lock without a copy.
    func duePolls(target: String, now: Double, pollInterval: Double, terminalInterval: Double) -> [DuePoll] {
        read { PollScheduler.duePolls(in: $0, target: target, now: now, pollInterval: pollInterval,
                                      terminalInterval: terminalInterval) }
    }
}
