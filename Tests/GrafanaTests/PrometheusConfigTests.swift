import Foundation
import Testing

/// grafana/prometheus/ checked by Prometheus' own promtool: the scrape config, the rules, and the rules' unit tests.
@Suite(.enabled(if: Tools.promtool != nil, "promtool not installed: \(Tools.installHint)"))
struct PrometheusConfigTests {
    let promtool = Tools.promtool ?? "promtool"

    @Test func scrapeConfigIsValid() async throws {
        // Also loads the rule files the config names, so a wrong path fails here.
        let result = try await Subprocess.run(promtool, ["check", "config", RepositoryFiles.prometheusConfig.path])
        #expect(result.status == 0, "promtool check config:\n\(result.output)")
        #expect(result.output.contains("1 rule files found"), "the rules file is not wired in:\n\(result.output)")
    }

    @Test func alertRulesAreValid() async throws {
        let result = try await Subprocess.run(promtool, ["check", "rules", RepositoryFiles.alertRules.path])
        #expect(result.status == 0, "promtool check rules:\n\(result.output)")
    }

    @Test func alertRuleUnitTestsPass() async throws {
        let result = try await Subprocess.run(promtool, ["test", "rules", RepositoryFiles.alertRuleTests.path])
        #expect(result.status == 0, "promtool test rules:\n\(result.output)")
        #expect(result.output.contains("SUCCESS"), "promtool test rules:\n\(result.output)")
    }

    /// promtool passes a test of an alert name that no rule has (nothing fires, as "expected"), and says nothing
    /// about alerts no test mentions: so check that every alert is tested both firing and quiet, and only those.
    @Test func everyAlertIsTestedFiringAndQuiet() throws {
        let rules = Set(try AlertRuleFile.alertNames(in: RepositoryFiles.text(RepositoryFiles.alertRules)))
        let coverage = try AlertRuleFile.testCoverage(in: RepositoryFiles.text(RepositoryFiles.alertRuleTests))
        #expect(rules.count >= 8, "alert rules found: \(rules.sorted())")
        for alert in rules.sorted() {
            #expect(coverage.firing.contains(alert), "\(alert): no test where it fires")
            #expect(coverage.quiet.contains(alert), "\(alert): no test where it stays quiet")
        }
        let unknown = coverage.firing.union(coverage.quiet).subtracting(rules)
        #expect(unknown.isEmpty, "tests of alerts that no rule defines: \(unknown.sorted())")
    }

    @Test func everyAlertHasSeverityAndAnnotations() throws {
        let blocks = AlertRuleFile.alertBlocks(in: try RepositoryFiles.text(RepositoryFiles.alertRules))
        #expect(!blocks.isEmpty)
        for (name, block) in blocks {
            #expect(block.contains(#/\n\s+severity: (critical|warning|info)\n/#), "\(name): no severity label")
            #expect(block.contains(#/\n\s+summary: /#), "\(name): no summary annotation")
            #expect(block.contains(#/\n\s+description: /#), "\(name): no description annotation")
        }
    }
}

/// Just enough reading of the rules and their unit-test file (both written in a fixed layout) for the coverage
/// checks above; promtool itself validates them as YAML.
enum AlertRuleFile {
    static func alertNames(in rules: String) -> [String] {
        alertBlocks(in: rules).map(\.name)
    }

    /// Each `- alert: NAME` with the text up to the next rule or group.
    static func alertBlocks(in rules: String) -> [(name: String, block: String)] {
        var blocks: [(name: String, block: String)] = []
        for line in rules.split(separator: "\n", omittingEmptySubsequences: false) {
            if let match = line.firstMatch(of: #/^\s*- alert:\s*(\S+)\s*$/#) {
                blocks.append((String(match.1), ""))
            } else if line.firstMatch(of: #/^\s*- (record|name):/#) != nil {
                blocks.append(("", ""))  // ends the previous alert's block
            } else if !blocks.isEmpty {
                blocks[blocks.count - 1].block += line + "\n"
            }
        }
        return blocks.filter { !$0.name.isEmpty }
    }

    /// Which alerts have a test case expecting them to fire, and which one expecting none.
    static func testCoverage(in tests: String) throws -> (firing: Set<String>, quiet: Set<String>) {
        var firing: Set<String> = [], quiet: Set<String> = []
        var alertname: String?
        var expectingAlerts = false
        for line in tests.split(separator: "\n") {
            if let match = line.firstMatch(of: #/^\s*alertname:\s*(\S+)\s*$/#) {
                alertname = String(match.1)
                expectingAlerts = false
            } else if let match = line.firstMatch(of: #/^\s*exp_alerts:\s*(\S*)\s*$/#), let name = alertname {
                if match.1 == "[]" { quiet.insert(name) } else { expectingAlerts = true }
            } else if expectingAlerts, line.firstMatch(of: #/^\s*- exp_labels:/#) != nil, let name = alertname {
                firing.insert(name)
            }
        }
        return (firing, quiet)
    }
}
