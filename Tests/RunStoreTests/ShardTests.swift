import Testing
@testable import Configuration
@testable import RunStore
import RunStatusModel

@Suite struct ShardTests {
    /// 3,000 runs over three targets, ids of every vendor's shape.
    static let runs: [(target: String, id: String)] = (0..<3_000).map { i in
        switch i % 3 {
        case 0: ("cavatica", "run-\(i)-\(i * 7919 % 104_729)")
        case 1: ("seq", "\(7 + i % 5)/\(90_000 + i)")
        default: ("rsa-prod", String(1000 + i))
        }
    }

    @Test(arguments: [1, 2, 3, 7, 16])
    func shardsPartitionTheRunsExactly(total: Int) throws {
        var owners = [Int](repeating: 0, count: Self.runs.count)
        var sizes = [Int](repeating: 0, count: total)
        for index in 0..<total {
            let shard = try #require(Shard(index: index, total: total))
            for (i, run) in Self.runs.enumerated() where shard.contains(target: run.target, runID: run.id) {
                owners[i] += 1
                sizes[index] += 1
            }
        }
        // Every run in exactly one shard: none lost, none twice.
        #expect(owners.allSatisfy { $0 == 1 })
        // And spread fairly: no shard more than half again its fair share.
        #expect(sizes.allSatisfy { Double($0) < 1.5 * Double(Self.runs.count) / Double(total) }, "\(sizes)")
    }

    @Test func theHashIsFNV1a64OfTargetSlashRunID() {
        // Values computed independently (Python), so every exporter, on any machine, agrees.
        #expect(Shard.hash(target: "t", runID: "r1") == 0x03f7_d7ed_fd51_4b89)
        #expect(Shard.hash(target: "cavatica", runID: "40a9c1a6-9263-4982-a574-e494f7c4b621") == 0xb9e2_d27f_d72a_b1ae)
        #expect(Shard.hash(target: "t/r", runID: "1") == Shard.hash(target: "t", runID: "r/1"))
        #expect(Shard.hash(target: "a", runID: "b") != Shard.hash(target: "b", runID: "a"))
    }

    @Test func invalidShardsAreRejected() {
        #expect(Shard(index: 0, total: 0) == nil)
        #expect(Shard(index: 2, total: 2) == nil)
        #expect(Shard(index: -1, total: 2) == nil)
        #expect(Shard(index: 1, total: 2) != nil)
    }

    @Test func storesOfAllShardsHoldEveryConfiguredAndDiscoveredRunOnce() throws {
        let configured = (0..<200).map { RunConfig(id: "c\($0)") }
        let target = TargetConfig(name: "w", vendor: .wes, url: "http://x", runs: configured, discover: DiscoveryConfig(maxRuns: 1000))
        let listed = (0..<300).map { ListedRun(runID: "d\($0)") } + (0..<50).map { ListedRun(runID: "c\($0)") }
        var seen: [String: Int] = [:]
        for index in 0..<3 {
            let store = MetricsStore(config: ExporterConfig(targets: [target]), shard: try #require(Shard(index: index, total: 3)))
            _ = store.applyListing(target: "w", runs: listed, complete: true, at: 1_768_471_200)
            for run in store.snapshot().targets[0].runs { seen[run.runID, default: 0] += 1 }
        }
        #expect(seen.count == 500)
        #expect(seen.values.allSatisfy { $0 == 1 })
    }

    @Test func theRateBudgetIsSharedOutBetweenShards() throws {
        let shard = try #require(Shard(index: 0, total: 4))
        #expect(shard.share(of: RateLimit(requests: 100, per: 60)) == RateLimit(requests: 25, per: 60))
        #expect(shard.share(of: RateLimit(requests: 3, per: 1)) == RateLimit(requests: 1, per: 1))
        #expect(shard.share(of: nil) == nil)
        #expect(Shard.all.share(of: RateLimit(requests: 100, per: 60)) == RateLimit(requests: 100, per: 60))
    }
}
