import Testing
@testable import Configuration
@testable import RunStore
import RunStatusModel

/// The series cap with finished runs whose vendor gives no end time (a WES 1.0 server lists `{run_id, state}` and
/// its details carry no times): the moment a run was first seen finished, then its place in the newest-first list,
/// decides which runs stay.
@Suite struct MetricsStoreEvictionTests {
    static let now = 1_768_471_200.0
    static let ids = (0..<20).map { "w\($0)" }  // newest first, as WES lists

    static func store(room: Int) -> MetricsStore {
        let wes = TargetConfig(name: "w", vendor: .wes, url: "http://x", runs: [],
                               discover: DiscoveryConfig(maxRuns: 100, maxAge: 72 * 3600))
        return MetricsStore(config: ExporterConfig(maxSeries: SeriesBudget.perTarget(discovery: true) + room * SeriesBudget.perRun,
                                                   targets: [wes]))
    }

    /// What the list says: the state alone.
    static func listed(_ id: String) -> ListedRun {
        ListedRun(runID: id, observation: RunObservation(state: .succeeded, vendorState: "COMPLETE", timesUnknown: true))
    }

    /// What a poll of a kept run gives: the state, and no times (the server has none).
    static func pollKept(_ store: MetricsStore, at t: Double) {
        for id in kept(store) {
            store.record(target: "w", runID: id, outcome: .observed(RunObservation(state: .succeeded, vendorState: "COMPLETE")),
                         latency: 0.01, at: t)
        }
    }

    static func kept(_ store: MetricsStore) -> [String] {
        store.snapshot().targets[0].runs.map(\.runID)
    }

    static func dropped(_ store: MetricsStore) -> UInt64 {
        store.snapshot().targets[0].seriesDropped
    }

    @Test func theNewestRunsWithoutEndTimesStayAndEachLeftOutRunCountsOnce() {
        let store = Self.store(room: 5)
        for cycle in 0..<30 {
            let t = Self.now + 60 * Double(cycle)
            _ = store.applyListing(target: "w", runs: Self.ids.map(Self.listed), complete: true, at: t)
            #expect(Set(Self.kept(store)) == Set(Self.ids.prefix(5)), "listing \(cycle)")
            #expect(Self.dropped(store) == UInt64(13 * 15), "listing \(cycle)")
            Self.pollKept(store, at: t + 1)
        }
    }

    @Test func aNewerRunTakesThePlaceOfTheOldestKeptOne() {
        let store = Self.store(room: 5)
        _ = store.applyListing(target: "w", runs: Self.ids.map(Self.listed), complete: true, at: Self.now)
        Self.pollKept(store, at: Self.now + 1)
        // A run finished since: first in the list, first seen finished later than any kept one.
        _ = store.applyListing(target: "w", runs: (["new"] + Self.ids).map(Self.listed), complete: true, at: Self.now + 60)
        #expect(Set(Self.kept(store)) == Set(["new"] + Self.ids.prefix(4)))
        #expect(Self.dropped(store) == UInt64(13 * 16))
        // And it stays that way.
        Self.pollKept(store, at: Self.now + 61)
        _ = store.applyListing(target: "w", runs: (["new"] + Self.ids).map(Self.listed), complete: true, at: Self.now + 120)
        #expect(Set(Self.kept(store)) == Set(["new"] + Self.ids.prefix(4)))
        #expect(Self.dropped(store) == UInt64(13 * 16))
    }
}
