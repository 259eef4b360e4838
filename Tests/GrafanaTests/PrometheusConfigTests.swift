import ChildProcesses
import Foundation
import TestSupport
import Testing

/// grafana/prometheus/ checked by Prometheus' own promtool: the scrape config, the rules, and the rules' unit tests.
@Suite(.requires(.promtool))
struct PrometheusConfigTests {
    let promtool = Program.promtool.path ?? "promtool"

    @Test func scrapeConfigIsValid() async throws {
        // Also loads the rule files the config names, so a wrong path fails here.
        let result = try await SpawnedProcess.run(promtool, ["check", "config", RepositoryFiles.prometheusConfig.path])
        #expect(result.status == 0, "promtool check config:\n\(result.output)")
        #expect(result.output.contains("1 rule files found"), "the rules file is not wired in:\n\(result.output)")
    }

    @Test func alertRulesAreValid() async throws {
        let result = try await SpawnedProcess.run(promtool, ["check", "rules", RepositoryFiles.alertRules.path])
        #expect(result.status == 0, "promtool check rules:\n\(result.output)")
    }

    @Test func alertRuleUnitTestsPass() async throws {
        let result = try await SpawnedProcess.run(promtool, ["test", "rules", RepositoryFiles.alertRuleTests.path])
        #expect(result.status == 0, "promtool test rules:\n\(result.output)")
        #expect(result.output.contains("SUCCESS"), "promtool test rules:\n\(result.output)")
    }
}
