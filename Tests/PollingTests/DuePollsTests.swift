import RunStatusModel
import Testing
@testable import Configuration
@testable import Polling
@testable import RunStore

/// Which runs of a store are due (`PollScheduler.duePolls`): a listed observation stands in for a poll, and the order
/// is never seen, then active oldest first, then terminal.
@Suite struct DuePollsTests {
    static let now = 1_768_471_200.0

    static func config(runs: [String] = []) -> ExporterConfig {
        let wes = TargetConfig(name: "w", vendor: .wes, url: "http://x", runs: runs.map { RunConfig(id: $0) },
                               discover: DiscoveryConfig(maxRuns: 100, maxAge: 3600))
        return ExporterConfig(maxSeries: 100_000, targets: [wes])
    }

    static func running(_ id: String, start: Double = now - 100) -> ListedRun {
        ListedRun(runID: id, observation: RunObservation(state: .running, vendorState: "RUNNING", startTime: start))
    }

    @Test func listedObservationsSpareThePoll() {
        let store = MetricsStore(config: Self.config())
        let stateOnly = ListedRun(runID: "s", observation: RunObservation(state: .running, vendorState: "RUNNING", timesUnknown: true))
        _ = store.applyListing(target: "w", runs: [Self.running("full"), stateOnly], complete: true, at: Self.now)
        // A full observation stands in for the poll; a WES state-only entry of a new run does not (it needs its times).
        var due = store.duePolls(target: "w", now: Self.now, pollInterval: 30, terminalInterval: 600).map(\.runID)
        #expect(due == ["s"])
        store.record(target: "w", runID: "s", outcome: .observed(RunObservation(state: .running, vendorState: "RUNNING",
                                                                                 startTime: Self.now - 5)),
                     latency: 0.01, at: Self.now)
        // Thirty seconds on, the same state listed again stands in for the status call and keeps the known times.
        _ = store.applyListing(target: "w", runs: [Self.running("full"), stateOnly], complete: true, at: Self.now + 30)
        due = store.duePolls(target: "w", now: Self.now + 30, pollInterval: 30, terminalInterval: 600).map(\.runID)
        #expect(due.isEmpty)
        // A moved state is left to the poll, whose details call fetches the new times.
        let moved = ListedRun(runID: "s", observation: RunObservation(state: .succeeded, vendorState: "COMPLETE", timesUnknown: true))
        _ = store.applyListing(target: "w", runs: [Self.running("full"), moved], complete: true, at: Self.now + 60)
        due = store.duePolls(target: "w", now: Self.now + 60, pollInterval: 30, terminalInterval: 600).map(\.runID)
        #expect(due == ["s"])
    }

    @Test func duePollsComeNeverSeenThenActiveOldestFirstThenTerminal() {
        let store = MetricsStore(config: Self.config(runs: ["t", "a1", "a2", "new"]))
        let at = Self.now
        store.record(target: "w", runID: "t", outcome: .observed(RunObservation(state: .failed, vendorState: "EXECUTOR_ERROR")),
                     latency: 0, at: at - 1000)
        store.record(target: "w", runID: "a1", outcome: .observed(RunObservation(state: .running, vendorState: "RUNNING")),
                     latency: 0, at: at - 40)
        store.record(target: "w", runID: "a2", outcome: .failed(PollError(.timeout, "slow")), latency: 0, at: at - 90)
        let due = store.duePolls(target: "w", now: at, pollInterval: 30, terminalInterval: 600).map(\.runID)
        #expect(due == ["new", "a2", "a1", "t"])
    }
}
