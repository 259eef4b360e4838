import Testing
@testable import runstatus_bench

/// The target lines after the table: a target whose phase did not run is "not measured", never "meets".
struct TargetCheckTests {
    /// A 10,000-run and a 100-run result with the cycles measured and nothing else (`--phases=cycle`).
    static func cyclesOnly() -> [BenchResult] {
        [100, 10_000].map { n in
            var r = BenchResult(runs: n)
            r.firstCycle = BenchResult.Cycle(seconds: 1, requests: n, exporterCPUSeconds: Double(n) * 90e-6)
            r.steadyCycle = r.firstCycle
            r.memory.peakResetWorked = true
            return r
        }
    }

    @Test func unmeasuredTargetsSaySoAndNeverMeet() {
        let lines = TargetCheck.lines(Self.cyclesOnly(), clients: 32)
        #expect(!lines.contains { $0.hasPrefix("meets") && !$0.contains("CPU per vendor request") }, "\(lines)")
        #expect(!lines.contains { $0.hasPrefix("MISSES") }, "\(lines)")
        for target in ["render at 10,000 runs", "peak RSS at 10,000 runs < 64 MB", "overlapping scrapes",
                       "a scrape during a poll cycle at 100 runs", "a scrape during a poll cycle at 10,000 runs",
                       "responses/s at 100 runs"] {
            #expect(lines.contains { $0.hasPrefix("not measured: ") && $0.contains(target) }, "\(target): \(lines)")
        }
        // What was measured is still judged.
        #expect(lines.contains { $0.hasPrefix("meets: exporter CPU per vendor request at 10,000 runs") })
    }

    @Test func measuredTargetsAreJudged() {
        var results = Self.cyclesOnly()
        results[1].render = BenchResult.Render(medianMs: 80, samples: 25)
        results[1].scrape = BenchResult.ScrapeDuringCycle(idleMedianMs: 10, idleSamples: 5, duringMedianMs: 12, duringSamples: 4)
        let lines = TargetCheck.lines(results, clients: 32)
        #expect(lines.contains { $0.hasPrefix("MISSES: render at 10,000 runs") })
        #expect(lines.contains { $0.hasPrefix("meets: a scrape during a poll cycle at 10,000 runs") })
        #expect(lines.contains { $0.hasPrefix("not measured: a scrape during a poll cycle at 100 runs") })
    }
}
