/// Just enough reading of the rules and their unit-test file (both written in a fixed layout) for
/// AlertRuleFileTests; promtool itself validates them as YAML.
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
