import ChildProcesses
import Foundation
import Glibc
import HTTPServer
import TestSupport
import Testing
import VendorSimulator
@testable import Configuration
@testable import CurlTransport
@testable import Logging
@testable import Polling
@testable import RunStatusExporter
@testable import RunStore
@testable import Serving

/// Known credentials of every kind go in; nothing the exporter shows or writes may contain one.
@Suite(.requires(.exporter),
       .timeLimit(.minutes(2)))
struct SecretsTests {
    static let inlineRight = "rsa-secret-1"
    static let inlineWrong = "rsa-wrong-INLINE-0a9"
    static let fileWrong = "seq-wrong-FILE-7f3"
    static let envRight = "wes-secret-4"
    static let envWrong = "ib-wrong-ENV-91c"
    static let urlUser = "nxuser-4b1"
    static let urlPassword = "url-PASS-5d2"
    static let reloadSecret = "reload-INLINE-e5c"
    static let brokenURLPassword = "raw/slash-PASS-77"

    static var all: [String] {
        [inlineRight, inlineWrong, fileWrong, envRight, envWrong, urlUser, urlPassword, reloadSecret, brokenURLPassword,
         "seq-secret-2", "ib-secret-3", "nx_test_secret5"]
    }

    static func config(simulator port: UInt16, secretFile: String, broken: Bool) -> String {
        let base = "http://127.0.0.1:\(port)"
        let last = broken
            ? """
              {"name": "broken", "vendor": "rsa", "url": "http://u:\(brokenURLPassword)@", "runs": ["1001"],
               "auth": {"type": "bearer", "credentials": "\(reloadSecret)", "header": "X-Token"}}
              """
            : """
              {"name": "rsa-wrong", "vendor": "rsa", "url": "\(base)", "runs": ["1001"],
               "auth": {"type": "bearer", "credentials": "\(inlineWrong)"}}
              """
        return """
        {"poll_interval": "1s", "timeout": "5s", "targets": [
          {"name": "rsa", "vendor": "rsa", "url": "\(base)", "runs": ["1001", "1005"],
           "auth": {"type": "bearer", "credentials": "\(inlineRight)"}},
          {"name": "seq", "vendor": "sequentum", "url": "\(base)", "runs": ["7/70"],
           "auth": {"type": "apikey", "credentials_file": "\(secretFile)"}},
          {"name": "wes", "vendor": "wes", "url": "\(base)/ga4gh/wes/v1", "runs": ["40a9c1a6-9263-4982-a574-e494f7c4b621"],
           "auth": {"type": "header", "header": "X-SBG-Auth-Token", "credentials_env": "RST_TEST_WES_TOKEN"}},
          {"name": "ib", "vendor": "instabase", "url": "\(base)", "runs": ["a1b2c3d4-e5f6-7890-abcd-ef1234567890"],
           "auth": {"type": "bearer", "credentials_env": "RST_TEST_IB_TOKEN"}},
          {"name": "nexio", "vendor": "nexio", "url": "http://\(urlUser):\(urlPassword)@127.0.0.1:\(port)",
           "runs": ["990d0fae-dc17-43af-aaed-ff8b580c17ab"], "auth": {"type": "none"}},
          \(last)
        ]}
        """
    }

    @Test func noCredentialInMetricsPagesLogsOrErrors() async throws {
        let simulator = try VendorSimulator(scenario: EndToEndTests.scenario(), now: { EndToEndTests.t0 + 1000 }).serve()
        defer { simulator.stop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("seq.token", Self.fileWrong + "\n")
        try directory.write("config.json", Self.config(simulator: simulator.port, secretFile: directory.file("seq.token"), broken: false))
        let environment = ["RST_TEST_WES_TOKEN": Self.envRight, "RST_TEST_IB_TOKEN": Self.envWrong]
        let configFile = directory.file("config.json")

        var seen: [(what: String, text: String)] = []
        let check = try await SpawnedProcess.run(Program.exporter.path!, ["--config.file=\(configFile)", "--config.check"],
                                               environment: environment)
        #expect(check.status == 0, "\(check.output)")
        seen.append(("--config.check", check.output))

        let exporter = try await LifecycleTests.Exporter.start(["--config.file=\(configFile)", "--log.level=debug"],
                                                               in: directory, environment: environment)
        defer { Glibc.kill(exporter.child.pid, SIGKILL) }
        try await exporter.waitFor()
        // A second cycle, so that errors have been logged more than once.
        try await exporter.eventually("two cycles") { ($0["runstatus_polls_total{vendor=\"rsa\",target=\"rsa\"}"] ?? 0) >= 4 }
        let metrics = try await exporter.get("/metrics")
        seen.append(("/metrics", metrics.text))
        seen.append(("/metrics OpenMetrics", try await exporter.get("/metrics", headers: [("Accept", "application/openmetrics-text; version=1.0.0")]).text))
        let landing = try await exporter.get("/")
        seen.append(("/", landing.text))

        // A reload whose errors sit right next to secrets.
        try directory.write("config.json", Self.config(simulator: simulator.port, secretFile: directory.file("seq.token"), broken: true))
        let reload = try await exporter.get("/-/reload", method: "POST")
        #expect(reload.status == 500)
        seen.append(("POST /-/reload", reload.text))
        let badCheck = try await SpawnedProcess.run(Program.exporter.path!, ["--config.file=\(configFile)", "--config.check"],
                                                  environment: environment)
        #expect(badCheck.status == 2)
        seen.append(("--config.check of a bad config", badCheck.output))

        exporter.child.signal(SIGTERM)
        #expect(await exporter.child.waitForExit(timeout: .seconds(5)) == 0)
        seen.append(("logs", exporter.child.output))

        for (what, text) in seen {
            for secret in Self.all {
                #expect(!text.contains(secret), "\(secret) leaked into \(what):\n\(text.prefix(3000))")
            }
        }
        // The errors were there to be leaked, and were logged: wrong credentials, the reload's problems.
        let logs = exporter.child.output
        #expect(logs.contains("reason=unauthorized"), "\(logs.suffix(3000))")
        #expect(logs.contains("configuration reload failed"))
        #expect(reload.text.contains("targets[5].url") && reload.text.contains("targets[5].auth.header"), "\(reload.text)")
        // Userinfo is shown redacted where the URL is shown at all.
        #expect(landing.text.contains("http://xxxxx@127.0.0.1:\(simulator.port)"))
        #expect(check.output.contains("http://xxxxx@127.0.0.1:\(simulator.port)"))
        // The values that worked did reach the vendor: a secret kept out of view, not out of use.
        let m = parseExposition(metrics.text)
        #expect(m["runstatus_up{vendor=\"rsa\",target=\"rsa\"}"] == 1)
        #expect(m["runstatus_up{vendor=\"wes\",target=\"wes\"}"] == 1)
        #expect(m["runstatus_up{vendor=\"sequentum\",target=\"seq\"}"] == 0)
    }
}
