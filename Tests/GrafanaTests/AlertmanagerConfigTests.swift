import ChildProcesses
import TestSupport
import Testing

/// grafana/alertmanager/alertmanager.yml checked by amtool, and its routing by severity and vendor exercised.
@Suite(.requires(.amtool))
struct AlertmanagerConfigTests {
    let amtool = Program.amtool.path ?? "amtool"

    @Test func configIsValid() async throws {
        let result = try await SpawnedProcess.run(amtool, ["check-config", RepositoryFiles.alertmanagerConfig.path])
        #expect(result.status == 0, "amtool check-config:\n\(result.output)")
        #expect(result.output.contains("SUCCESS"), "amtool check-config:\n\(result.output)")
    }

    /// Critical alerts page and still reach the vendor's team; warnings go to the vendor's team only.
    @Test(arguments: [
        (["severity=critical", "vendor=wes", "alertname=RunstatusVendorAPIDown"], "oncall-pager,genomics-team"),
        (["severity=warning", "vendor=wes", "alertname=RunstatusRunFailed"], "genomics-team"),
        (["severity=warning", "vendor=sequentum", "alertname=RunstatusRunFailed"], "data-platform-team"),
        (["severity=warning", "vendor=instabase", "alertname=RunstatusRunStuck"], "document-ai-team"),
        (["severity=critical", "alertname=RunstatusExporterDown"], "oncall-pager"),
        (["severity=warning", "vendor=somethingelse"], "ops-tickets"),
    ])
    func routesBySeverityAndVendor(labels: [String], receivers: String) async throws {
        let result = try await SpawnedProcess.run(
            amtool, ["config", "routes", "test", "--config.file=\(RepositoryFiles.alertmanagerConfig.path)"] + labels)
        let answer = result.output.split(separator: "\n").first { !$0.hasPrefix("Warning:") }
        #expect(result.status == 0, "amtool config routes test \(labels):\n\(result.output)")
        #expect(answer.map(String.init) == receivers, "\(labels) routed to:\n\(result.output)")
    }
}
