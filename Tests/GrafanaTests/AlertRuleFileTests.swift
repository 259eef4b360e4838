import Testing

/// alerts.yml and alerts_test.yml read side by side: what promtool does not check.
struct AlertRuleFileTests {
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
