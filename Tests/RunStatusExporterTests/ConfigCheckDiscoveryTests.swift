import TestSupport
import Testing
@testable import Configuration
@testable import RunStatusExporter

/// `--config.check`'s account of discovery, rate limits and the series cap.
@Suite struct ConfigCheckDiscoveryTests {
    @Test func configCheckSaysWhetherDiscoveryIsOnOrWhyNot() throws {
        let text = ConfigCheck.summary(try ConfigLoader.fake().parse(Array(ConfigExamples.discovery.utf8), file: "c.json"), file: "c.json")
        #expect(text.contains("    discovery on: up to 200 runs, finished ones kept 24h, listed every 2m; no rate limit\n"))
        #expect(text.contains("discovery on: up to 500 runs, finished ones kept 72h, listed every 30s, app app_1, deployment dep_2, status RUNNING|FAILED; rate limit 10 per 1s; per-run metrics off\n"))
        #expect(text.contains("agents 7, 8; rate limit 100 per 1m (vendor default)\n"))
        #expect(text.contains(#"discovery off: no "discover" block (sequentum can list runs); no rate limit"#))
        #expect(text.contains("discovery off: nexio has no list call (configured ids only); no rate limit\n"))
        #expect(text.contains("of max_series 5000; at full discovery windows the oldest finished runs will be dropped\n"))
    }
}
