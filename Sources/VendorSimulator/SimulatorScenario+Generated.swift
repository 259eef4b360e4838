extension SimulatorScenario {
    /// `runs` runs spread round-robin over the five vendors, for benchmarks: each created up to two hours before
    /// `start` and lasting 1 to 30 minutes, so at `start` most have finished and some move on over the next
    /// minutes. The same seed gives the same scenario. Sequentum's rate limit is off (a benchmark polls far more
    /// than 100 times a minute); set `sequentumRequestsPerMinute` to measure against it.
    public static func generated(runs count: Int, seed: UInt64, startingAt start: Double) -> SimulatorScenario {
        var random = SeededGenerator(seed: seed)
        var uuids = Set<String>()
        func freshUUID() -> String {
            while true {
                let id = random.uuid()
                if uuids.insert(id).inserted { return id }
            }
        }
        var runs: [SimulatedRun] = []
        runs.reserveCapacity(count)
        for i in 0..<max(0, count) {
            let vendor = vendors[i % vendors.count]
            let templates = generatedScripts[i % vendors.count]
            // Mostly the template that succeeds, as on a healthy system.
            let template = Double.random(in: 0..<1, using: &random) < 0.6
                ? templates[0] : templates[Int.random(in: 1..<templates.count, using: &random)]
            let duration = Double.random(in: 60..<1_800, using: &random)
            let offset = -Double.random(in: 0..<7_200, using: &random)
            let id: String = switch vendor {
            case "rsa": String(200_000 + i)
            case "sequentum": "\(100 + i % 40)/\(500_000 + i)"
            default: freshUUID()
            }
            runs.append(SimulatedRun(vendor: vendor, id: id, startOffset: offset,
                                     script: template.map { (after: $0.at * duration, state: $0.state) }))
        }
        return SimulatorScenario(start: start, runs: runs, credentials: [
            "rsa": "bench-rsa-token",
            "sequentum": "bench-sequentum-key",
            "instabase": "bench-instabase-token",
            "wes": "bench-wes-token",
            "nexio": "nx_test_bench0000",
        ], sequentumRequestsPerMinute: 0)
    }

    /// Per vendor (in `vendors` order) scripts as fractions of a run's duration; the first one succeeds.
    private static let generatedScripts: [[[(at: Double, state: String)]]] = [
        [[(0, "New"), (0.1, "Running"), (1, "Completed")], [(0, "Running"), (1, "Completed")],
         [(0, "Running"), (0.6, "Aborted")]],
        [[(0, "4"), (0.05, "3"), (0.1, "1"), (0.9, "2"), (1, "10")], [(0, "1"), (1, "9")], [(0, "1"), (0.7, "6")],
         [(0, "12"), (0.2, "1"), (0.5, "8")]],
        [[(0, "RUNNING"), (1, "COMPLETE")], [(0, "RUNNING"), (0.4, "STOPPED_AT_CHECKPOINT"), (0.7, "RUNNING"), (1, "COMPLETE")],
         [(0, "RUNNING"), (0.5, "FAILED")], [(0, "RUNNING"), (0.3, "CANCELLED")]],
        [[(0, "QUEUED"), (0.1, "INITIALIZING"), (0.2, "RUNNING"), (1, "COMPLETE")], [(0, "RUNNING"), (0.8, "EXECUTOR_ERROR")],
         [(0, "QUEUED"), (0.3, "RUNNING"), (0.9, "CANCELING"), (1, "CANCELED")]],
        [[(0, "queued"), (0.1, "processing"), (1, "completed")], [(0, "processing"), (1, "degraded")],
         [(0, "processing"), (0.6, "failed")]],
    ]
}
