import Exposition
import RunStatusModel
import TestSupport
import Testing
@testable import Configuration
@testable import RunStore
@testable import Serving

/// The store's side of discovery, the series cap and sharding, without a network.
@Suite struct MetricsStoreDiscoveryTests {
    static let now = 1_768_471_200.0

    static func config(runs: [String] = [], maxRuns: Int = 100, maxAge: Double = 3600, maxSeries: Int = 100_000,
                       perRun: Bool = true, extra: [TargetConfig] = []) -> ExporterConfig {
        let wes = TargetConfig(name: "w", vendor: .wes, url: "http://x", runs: runs.map { RunConfig(id: $0) },
                               discover: DiscoveryConfig(maxRuns: maxRuns, maxAge: maxAge), perRunMetrics: perRun)
        return ExporterConfig(maxSeries: maxSeries, targets: [wes] + extra)
    }

    static func running(_ id: String, start: Double = now - 100) -> ListedRun {
        ListedRun(runID: id, observation: RunObservation(state: .running, vendorState: "RUNNING", startTime: start))
    }

    static func finished(_ id: String, end: Double) -> ListedRun {
        ListedRun(runID: id, observation: RunObservation(state: .succeeded, vendorState: "COMPLETE", startTime: end - 60, endTime: end))
    }

    static func ids(_ store: MetricsStore, _ target: String = "w") -> [String] {
        let s = store.snapshot()
        return s.targets[s.targetIndex[target]!].runs.map(\.runID)
    }

    static func metrics(_ store: MetricsStore) -> [String: Double] {
        parseExposition(String(decoding: MetricsRenderer().render(store.snapshot(), now: now, format: .text).body, as: UTF8.self))
    }

    @Test func discoveredRunsJoinConfiguredOnesAndLeaveWithTheWindow() {
        let store = MetricsStore(config: Self.config(runs: ["c1"]))
        var outcome = store.applyListing(target: "w", runs: [Self.running("d1"), Self.running("c1"), Self.running("d2")],
                                         complete: true, at: Self.now)
        #expect(outcome == ListingOutcome(added: 2, removed: 0, refused: 0))
        #expect(Self.ids(store) == ["c1", "d1", "d2"])
        var m = Self.metrics(store)
        #expect(m["runstatus_discovered_runs{vendor=\"wes\",target=\"w\"}"] == 3)
        #expect(m["runstatus_run_state{vendor=\"wes\",target=\"w\",run_id=\"d2\",state=\"running\"}"] == 1)

        // d1 finishes (counted once), then neither it nor c1 is listed any more: d1 leaves, c1 (configured) stays.
        _ = store.applyListing(target: "w", runs: [Self.finished("d1", end: Self.now + 10), Self.running("c1"), Self.running("d2")],
                               complete: true, at: Self.now + 20)
        outcome = store.applyListing(target: "w", runs: [Self.running("d2")], complete: true, at: Self.now + 40)
        #expect(outcome == ListingOutcome(added: 0, removed: 1, refused: 0))
        #expect(Self.ids(store) == ["c1", "d2"])
        m = Self.metrics(store)
        #expect(m["runstatus_discovered_runs{vendor=\"wes\",target=\"w\"}"] == 1)
        #expect(m["runstatus_run_state{vendor=\"wes\",target=\"w\",run_id=\"d1\",state=\"succeeded\"}"] == nil)
        // The per-target counters keep what the departed run contributed.
        #expect(m["runstatus_runs_finished_total{vendor=\"wes\",target=\"w\",state=\"succeeded\"}"] == 1)
    }

    @Test func anIncompleteListingAddsButNeverRemoves() {
        let store = MetricsStore(config: Self.config())
        _ = store.applyListing(target: "w", runs: [Self.running("a"), Self.running("b")], complete: true, at: Self.now)
        let outcome = store.applyListing(target: "w", runs: [Self.running("c")], complete: false, at: Self.now + 1)
        #expect(outcome.removed == 0 && Self.ids(store) == ["a", "b", "c"])
    }

    @Test func finishedRunsOlderThanMaxAgeLeaveAndStayAway() {
        let store = MetricsStore(config: Self.config(maxAge: 3600))
        // Listed already finished two hours ago: never taken.
        _ = store.applyListing(target: "w", runs: [Self.finished("old", end: Self.now - 7200), Self.running("r")],
                               complete: true, at: Self.now)
        #expect(Self.ids(store) == ["r"])
        // r finishes; an hour and more later it leaves, and the still-listed run is not taken back.
        _ = store.applyListing(target: "w", runs: [Self.finished("r", end: Self.now + 60)], complete: true, at: Self.now + 60)
        _ = store.applyListing(target: "w", runs: [Self.finished("r", end: Self.now + 60)], complete: true, at: Self.now + 3000)
        #expect(Self.ids(store) == ["r"])
        let outcome = store.applyListing(target: "w", runs: [Self.finished("r", end: Self.now + 60)], complete: true, at: Self.now + 3700)
        #expect(outcome.removed == 1 && Self.ids(store).isEmpty)
        _ = store.applyListing(target: "w", runs: [Self.finished("r", end: Self.now + 60)], complete: true, at: Self.now + 3800)
        #expect(Self.ids(store).isEmpty)
        // Without an end time, the time it was first seen finished counts.
        let noTimes = ListedRun(runID: "n", observation: RunObservation(state: .failed, vendorState: "EXECUTOR_ERROR"))
        _ = store.applyListing(target: "w", runs: [noTimes], complete: true, at: Self.now + 4000)
        _ = store.applyListing(target: "w", runs: [noTimes], complete: true, at: Self.now + 4000 + 3500)
        #expect(Self.ids(store) == ["n"])
        _ = store.applyListing(target: "w", runs: [noTimes], complete: true, at: Self.now + 4000 + 3700)
        #expect(Self.ids(store).isEmpty)
    }

    /// The store's side of a listing that stands in for a poll (which runs are due is `DuePollsTests` in PollingTests).
    @Test func listedObservationsKeepKnownTimesAndListingRequestsCount() {
        let store = MetricsStore(config: Self.config())
        let stateOnly = ListedRun(runID: "s", observation: RunObservation(state: .running, vendorState: "RUNNING", timesUnknown: true))
        _ = store.applyListing(target: "w", runs: [Self.running("full"), stateOnly], complete: true, at: Self.now)
        // A full observation stands in for the poll; a WES state-only entry of a new run does not (it needs its times).
        store.record(target: "w", runID: "s", outcome: .observed(RunObservation(state: .running, vendorState: "RUNNING",
                                                                                 startTime: Self.now - 5)),
                     latency: 0.01, at: Self.now)
        // Thirty seconds on, the same state listed again stands in for the status call and keeps the known times.
        _ = store.applyListing(target: "w", runs: [Self.running("full"), stateOnly], complete: true, at: Self.now + 30)
        let s = store.snapshot()
        #expect(s.targets[0].runs[1].observation?.startTime == Self.now - 5)
        // A moved state is left to the poll, whose details call fetches the new times.
        let moved = ListedRun(runID: "s", observation: RunObservation(state: .succeeded, vendorState: "COMPLETE", timesUnknown: true))
        _ = store.applyListing(target: "w", runs: [Self.running("full"), moved], complete: true, at: Self.now + 60)
        // Listing requests count as requests of the target.
        store.recordListRequest(target: "w", error: PollError(.rateLimited, "listing runs: slow down", status: 429), latency: 0.1, at: Self.now)
        store.recordListRequest(target: "w", error: nil, latency: 0.1, at: Self.now + 1)
        let m = Self.metrics(store)
        #expect(m["runstatus_polls_total{vendor=\"wes\",target=\"w\"}"] == 3)
        #expect(m["runstatus_poll_errors_total{vendor=\"wes\",target=\"w\",reason=\"rate_limited\"}"] == 1)
        #expect(m["runstatus_last_poll_success_timestamp_seconds{vendor=\"wes\",target=\"w\"}"] == Self.now + 1)
    }

    @Test func seriesCapDropsOldestFinishedFirstThenRefuses() {
        let perTarget = SeriesBudget.perTarget(discovery: true)
        // Room for the target and three runs.
        let store = MetricsStore(config: Self.config(maxSeries: perTarget + 3 * SeriesBudget.perRun))
        _ = store.applyListing(target: "w", runs: [Self.finished("f-new", end: Self.now - 10), Self.finished("f-old", end: Self.now - 500),
                                                   Self.running("r1")], complete: true, at: Self.now)
        #expect(Self.ids(store) == ["f-new", "f-old", "r1"])
        var outcome = store.applyListing(target: "w", runs: [Self.finished("f-new", end: Self.now - 10), Self.finished("f-old", end: Self.now - 500),
                                                             Self.running("r1"), Self.running("r2")], complete: true, at: Self.now + 1)
        // r2 takes the place of the oldest finished run.
        #expect(outcome == ListingOutcome(added: 1, removed: 1, refused: 0))
        #expect(Self.ids(store) == ["f-new", "r1", "r2"])
        outcome = store.applyListing(target: "w", runs: [Self.finished("f-new", end: Self.now - 10), Self.running("r1"), Self.running("r2"),
                                                         Self.running("r3"), Self.running("r4")], complete: true, at: Self.now + 2)
        #expect(outcome == ListingOutcome(added: 1, removed: 1, refused: 1))
        #expect(Self.ids(store) == ["r1", "r2", "r3"])
        // Refused once, counted once, however often it is listed.
        outcome = store.applyListing(target: "w", runs: [Self.running("r1"), Self.running("r2"), Self.running("r3"), Self.running("r4")],
                                     complete: true, at: Self.now + 3)
        #expect(outcome == ListingOutcome())
        var m = Self.metrics(store)
        #expect(m["runstatus_series_dropped_total{vendor=\"wes\",target=\"w\"}"] == Double(3 * SeriesBudget.perRun))
        let exported = m.keys.filter { $0.hasPrefix("runstatus_") && !$0.hasPrefix("runstatus_config") && !$0.hasPrefix("runstatus_build") }
        #expect(exported.count <= perTarget + 3 * SeriesBudget.perRun)
        // When r1 leaves the window there is room again: r4 comes in.
        outcome = store.applyListing(target: "w", runs: [Self.running("r2"), Self.running("r3"), Self.running("r4")], complete: true, at: Self.now + 4)
        #expect(Self.ids(store) == ["r2", "r3", "r4"])
        m = Self.metrics(store)
        #expect(m["runstatus_series_dropped_total{vendor=\"wes\",target=\"w\"}"] == Double(3 * SeriesBudget.perRun))
    }

    @Test func aRunThatFinishedBeforeEveryDroppableOneIsRefused() {
        let perTarget = SeriesBudget.perTarget(discovery: true)
        let store = MetricsStore(config: Self.config(maxSeries: perTarget + SeriesBudget.perRun))
        _ = store.applyListing(target: "w", runs: [Self.finished("recent", end: Self.now - 10)], complete: true, at: Self.now)
        let outcome = store.applyListing(target: "w", runs: [Self.finished("recent", end: Self.now - 10), Self.finished("older", end: Self.now - 900)],
                                         complete: true, at: Self.now + 1)
        #expect(outcome.refused == 1 && Self.ids(store) == ["recent"])
    }

    @Test func configuredRunsPastTheCapAreRefusedAtApply() {
        let perTarget = SeriesBudget.perTarget(discovery: false)
        let nexio = TargetConfig(name: "n", vendor: .nexio, url: "http://x", runs: (0..<5).map { RunConfig(id: "r\($0)") })
        let store = MetricsStore(config: ExporterConfig(maxSeries: perTarget + 2 * SeriesBudget.perRun, targets: [nexio]))
        #expect(store.refusedAtApply == 3)
        #expect(Self.ids(store, "n") == ["r0", "r1"])
        #expect(Self.metrics(store)["runstatus_series_dropped_total{vendor=\"nexio\",target=\"n\"}"] == Double(3 * SeriesBudget.perRun))
    }

    @Test func perRunMetricsOffKeepsTheAggregatesOnly() {
        let store = MetricsStore(config: Self.config(maxSeries: SeriesBudget.perTarget(discovery: true), perRun: false))
        _ = store.applyListing(target: "w", runs: (0..<50).map { Self.running("r\($0)") }, complete: true, at: Self.now)
        // They cost no per-run series, so the tight cap refuses none.
        #expect(Self.ids(store).count == 50)
        let m = Self.metrics(store)
        #expect(!m.keys.contains { $0.hasPrefix("runstatus_run_") })
        #expect(m["runstatus_runs{vendor=\"wes\",target=\"w\",state=\"running\"}"] == 50)
        #expect(m["runstatus_discovered_runs{vendor=\"wes\",target=\"w\"}"] == 50)
        #expect(m["runstatus_series_dropped_total{vendor=\"wes\",target=\"w\"}"] == 0)
    }

    @Test func seriesBudgetMatchesWhatTheRendererWrites() {
        // A run with every per-run family present, and its target: the budget must not undercount.
        let store = MetricsStore(config: Self.config())
        let full = ListedRun(runID: "x", observation: RunObservation(state: .succeeded, vendorState: "COMPLETE", startTime: Self.now - 60,
                                                                     endTime: Self.now, reportedDuration: 50, reportedErrors: 0))
        _ = store.applyListing(target: "w", runs: [full], complete: true, at: Self.now)
        store.recordListRequest(target: "w", error: nil, latency: 0.1, at: Self.now)
        let m = Self.metrics(store)
        let perRun = m.keys.filter { $0.hasPrefix("runstatus_run_") }.count
        let perTarget = m.keys.filter { $0.hasPrefix("runstatus_") && !$0.hasPrefix("runstatus_run_") && !$0.hasPrefix("runstatus_config")
            && !$0.hasPrefix("runstatus_build") }.count
        #expect(perRun == SeriesBudget.perRun)
        #expect(perTarget == SeriesBudget.perTarget(discovery: true))
    }
}
