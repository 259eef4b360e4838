/// The scenario's runs prepared and indexed once, so each request is a dictionary lookup (10,000-run benchmarks).
struct SimulatorIndex: Sendable {
    let runs: [PreparedRun]
    /// Run position by lookup key, one dictionary per vendor (`SimulatedVendor.rawValue`).
    private let byKey: [[String: Int]]
    /// List orders, fixed at start; runs not yet created are skipped when listing, so positions stay valid.
    let wesNewestFirst: [Int]
    let instabaseOldestFirst: [Int]
    let sequentumNewestFirstByAgent: [Int64: [Int]]

    init(_ scenario: SimulatorScenario) {
        var runs: [PreparedRun] = []
        runs.reserveCapacity(scenario.runs.count)
        var byKey = [[String: Int]](repeating: [:], count: SimulatedVendor.allCases.count)
        for run in scenario.runs {
            guard let vendor = SimulatedVendor(name: run.vendor) else {
                preconditionFailure("simulated run \(run.id): unknown vendor \(run.vendor)")
            }
            guard let key = vendor.key(for: run.id) else {
                preconditionFailure("simulated \(run.vendor) run \(run.id): not a valid \(run.vendor) run id")
            }
            precondition(byKey[vendor.rawValue][key] == nil, "simulated \(run.vendor) run \(run.id) appears twice")
            byKey[vendor.rawValue][key] = runs.count
            runs.append(PreparedRun(run, vendor: vendor, key: key, scenarioStart: scenario.start))
        }
        self.runs = runs
        self.byKey = byKey
        func ordered(_ vendor: SimulatedVendor, newestFirst: Bool) -> [Int] {
            runs.indices.filter { runs[$0].vendor == vendor }.sorted {
                let a = runs[$0], b = runs[$1]
                if a.created != b.created { return newestFirst ? a.created > b.created : a.created < b.created }
                return $0 < $1
            }
        }
        wesNewestFirst = ordered(.wes, newestFirst: true)
        instabaseOldestFirst = ordered(.instabase, newestFirst: false)
        sequentumNewestFirstByAgent = Dictionary(grouping: ordered(.sequentum, newestFirst: true),
                                                 by: { runs[$0].agentID })
    }

    /// The run a vendor knows under `key`, whatever the clock says.
    func run(_ vendor: SimulatedVendor, key: String) -> PreparedRun? {
        byKey[vendor.rawValue][key].map { runs[$0] }
    }
}
