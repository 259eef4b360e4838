import RunStatusModel
import TestSupport
import Testing
@testable import Configuration

/// `discover`, `rate_limit`, `per_run_metrics` and `max_series` as the loader reads them. (The shard flags are
/// `CommandLineTests`; `--config.check`'s account of them is `ConfigCheckDiscoveryTests`.)
@Suite struct DiscoveryConfigTests {
    let loader = ConfigLoader.fake()

    func parse(_ json: String) throws(ConfigError) -> ExporterConfig {
        try loader.parse(Array(json.utf8), file: "c.json")
    }

    func problems(_ json: String) -> [String] {
        do {
            _ = try parse(json)
            return []
        } catch {
            return error.lines
        }
    }

    @Test func everyNewFieldLoads() throws {
        let c = try parse(ConfigExamples.discovery)
        #expect(c.maxSeries == 5000)
        #expect(c.targets[0].discover == DiscoveryConfig(maxRuns: 200, maxAge: 86400, interval: 120, pageSize: 50))
        #expect(c.targets[0].runs.isEmpty && c.targets[0].rateLimit == nil && c.targets[0].perRunMetrics)
        #expect(c.targets[1].discover == DiscoveryConfig(appID: "app_1", deploymentID: "dep_2", statuses: ["RUNNING", "FAILED"]))
        #expect(c.targets[1].rateLimit == RateLimit(requests: 10, per: 1) && !c.targets[1].perRunMetrics)
        #expect(c.targets[2].discover == DiscoveryConfig(agents: [7, 8], maxRecords: 25))
        // Sequentum's documented limit unless configured; null turns it off.
        #expect(c.targets[2].rateLimit == RateLimit(requests: 100, per: 60))
        #expect(c.targets[3].rateLimit == nil)
        #expect(c.targets[4].discover == nil && c.targets[4].rateLimit == nil)
        #expect(try parse(#"{"targets":[{"name":"a","vendor":"nexio","url":"http://x","runs":[]}]}"#).maxSeries == 100_000)
    }

    @Test func discoveryQueryForInstabaseStartsMaxAgeAgoInSeconds() {
        let q = DiscoveryConfig(maxRuns: 10, maxAge: 3600, statuses: ["RUNNING"]).query(now: 1_768_471_200.7)
        #expect(q.fromTimestamp == 1_768_467_600 && q.maxRecords == 10 && q.statuses == ["RUNNING"])
    }

    @Test func rsaAndNexioHaveNoListCall() {
        let p = problems("""
        {"targets":[{"name":"a","vendor":"rsa","url":"http://x","discover":{}},
                    {"name":"b","vendor":"nexio","url":"http://x","runs":[],"discover":{"max_runs":5}}]}
        """)
        #expect(p == [
            #"c.json: targets[0].discover: rsa has no list call to discover runs with: configure its run ids in "runs""#,
            #"c.json: targets[1].discover: nexio has no list call to discover runs with: configure its run ids in "runs""#,
        ])
    }

    @Test func everyBadFieldIsNamedWithItsPath() {
        let p = problems("""
        {"max_series": 0, "targets":[
          {"name":"a","vendor":"wes","url":"http://x","discover":{"max_runs":0,"max_age":"soon","interval":"0s","page_size":1.5,"agents":[1],"colour":"red"}},
          {"name":"b","vendor":"sequentum","url":"http://x","discover":{"max_records":0}},
          {"name":"c","vendor":"sequentum","url":"http://x","discover":{"agents":[7,7,-1,"8"]}},
          {"name":"d","vendor":"instabase","url":"http://x","discover":{"status":["RUNNING,FAILED",3],"app_id":""}},
          {"name":"e","vendor":"nexio","url":"http://x","runs":[],"rate_limit":{"per":"1m"}},
          {"name":"f","vendor":"nexio","url":"http://x","runs":[],"rate_limit":{"requests":0,"per":"fast"}},
          {"name":"g","vendor":"nexio","url":"http://x","runs":[],"per_run_metrics":"no"},
          {"name":"h","vendor":"nexio","url":"http://x"}
        ]}
        """)
        let expected = [
            "c.json: max_series: must be between 1 and",
            "c.json: targets[0].discover.colour: unknown key",
            "c.json: targets[0].discover.agents: is a filter of sequentum, not of wes",
            "c.json: targets[0].discover.max_runs: must be between 1 and 100000, not 0",
            "c.json: targets[0].discover.max_age: \"soon\" is not a duration",
            "c.json: targets[0].discover.interval: must be greater than zero",
            "c.json: targets[0].discover.page_size: must be a whole number, not a fraction",
            "c.json: targets[1].discover.agents: is required for sequentum",
            "c.json: targets[1].discover.max_records: must be between 1 and 10000, not 0",
            "c.json: targets[2].discover.agents[1]: duplicate agent 7",
            "c.json: targets[2].discover.agents[2]: must be an agent id",
            "c.json: targets[2].discover.agents[3]: must be an agent id",
            "c.json: targets[3].discover.status[0]: must be one status name",
            "c.json: targets[3].discover.status[1]: must be a string, not a number",
            "c.json: targets[3].discover.app_id: must not be empty",
            "c.json: targets[4].rate_limit.requests: is required",
            "c.json: targets[5].rate_limit.requests: must be between 1 and 1000000, not 0",
            "c.json: targets[5].rate_limit.per: \"fast\" is not a duration",
            "c.json: targets[6].per_run_metrics: must be true or false, not a string",
            "c.json: targets[7].runs: is required (or a \"discover\" block",
        ]
        for e in expected {
            #expect(p.contains { $0.hasPrefix(e) }, "missing: \(e)\nall:\n\(p.joined(separator: "\n"))")
        }
        #expect(p.count == expected.count, "\(p.joined(separator: "\n"))")
    }
}
