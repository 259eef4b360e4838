import Configuration
import RunStatusModel
import RunStore
import Testing
@testable import Polling

/// What is due, on times the test names.
@Suite struct PollSchedulerTests {
    static let t0 = 1_800_000_000.0

    static func store(runs: [String]) -> MetricsStore {
        let target = TargetConfig(name: "nx", vendor: .nexio, url: "http://vendor.invalid", runs: runs.map { RunConfig(id: $0) },
                                  pollInterval: 30, terminalPollInterval: 600, timeout: 1)
        return MetricsStore(config: ExporterConfig(targets: [target]))
    }

    static func due(_ store: MetricsStore, at now: Double) -> [String] {
        PollScheduler.duePolls(in: store.snapshot(), target: "nx", now: now, pollInterval: 30, terminalInterval: 600).map(\.runID)
    }

    static func observe(_ store: MetricsStore, _ run: String, _ state: RunState, at now: Double) {
        store.record(target: "nx", runID: run, outcome: .observed(RunObservation(state: state, vendorState: state.rawValue)),
                     latency: 0.01, at: now)
    }

    @Test func neverPolledFirstThenActiveThenTerminalEachLongestUnpolledFirst() {
        let store = Self.store(runs: ["new", "active-late", "active-early", "done"])
        Self.observe(store, "active-early", .running, at: Self.t0)
        Self.observe(store, "active-late", .running, at: Self.t0 + 5)
        Self.observe(store, "done", .succeeded, at: Self.t0 - 600)
        #expect(Self.due(store, at: Self.t0 + 40) == ["new", "active-early", "active-late", "done"])
    }

    @Test func aRunIsDueOneIntervalAfterItsLastAttemptWithSlack() {
        let store = Self.store(runs: ["a"])
        Self.observe(store, "a", .running, at: Self.t0)
        #expect(Self.due(store, at: Self.t0 + 28.9) == [])
        // A tenth of the interval, at most a second, of slack: a poll that ended a moment late is not put off.
        #expect(Self.due(store, at: Self.t0 + 29) == ["a"])
    }

    @Test func terminalRunsWaitTheTerminalInterval() {
        let store = Self.store(runs: ["done"])
        Self.observe(store, "done", .failed, at: Self.t0)
        #expect(Self.due(store, at: Self.t0 + 30) == [])
        #expect(Self.due(store, at: Self.t0 + 598.9) == [])
        #expect(Self.due(store, at: Self.t0 + 599) == ["done"])
    }

    @Test func anUnknownTargetHasNothingDue() {
        let store = Self.store(runs: ["a"])
        #expect(PollScheduler.duePolls(in: store.snapshot(), target: "other", now: Self.t0, pollInterval: 30,
                                       terminalInterval: 600).isEmpty)
    }
}
