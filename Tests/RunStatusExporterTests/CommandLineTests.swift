import Foundation
import TestSupport
import Testing
@testable import Configuration
@testable import CurlTransport
@testable import Logging
@testable import Polling
@testable import RunStatusExporter
@testable import RunStore
@testable import Serving

@Suite struct CommandLineTests {
    @Test func defaultsAndForms() throws {
        let o = try CommandLineOptions.parse(["--config.file=/etc/c.json"])
        #expect(o.configFile == "/etc/c.json" && o.listenAddress == ":7979" && o.telemetryPath == "/metrics")
        let p = try CommandLineOptions.parse(["--config.file", "c.json", "--web.listen-address", "127.0.0.1:1",
                                              "--log.level=debug", "--log.format=json", "--web.telemetry-path=/m"])
        #expect(p.listenAddress == "127.0.0.1:1" && p.logLevel == .debug && p.logFormat == .json && p.telemetryPath == "/m")
        #expect(try CommandLineOptions.parse(["--demo"]).demo)
        #expect(try CommandLineOptions.parse(["healthcheck"]).healthcheck)
    }

    @Test(arguments: [
        ([], "--config.file is required"),
        (["--nope"], "unknown flag --nope"),
        (["--demo", "--log.level=loud"], "--log.level must be"),
        (["--demo", "--web.telemetry-path=metrics"], "--web.telemetry-path must start with /"),
        (["--config.file"], "--config.file needs a value"),
        (["--demo", "extra"], "unexpected argument"),
    ])
    func usageErrors(args: [String], message: String) {
        #expect { try CommandLineOptions.parse(args) } throws: { ($0 as? UsageError)?.message.hasPrefix(message) == true }
    }

    @Test func invalidConfigExitsWithStatus2AndCheckExitsWith0() async throws {
        let dir = try TemporaryDirectory(prefix: "runstatus-cli")
        defer { dir.remove() }
        let bad = dir.url.appending(path: "bad.json")
        try #"{"targets":[{"name":"a","vendor":"oracle","url":"http://x","runs":[]}]}"#.write(to: bad, atomically: true, encoding: .utf8)
        #expect(await ExporterCommand.run(["--config.file=\(bad.path)"]) == 2)
        #expect(await ExporterCommand.run(["--config.file=\(bad.path)", "--config.check"]) == 2)
        let good = dir.url.appending(path: "good.json")
        try #"{"targets":[{"name":"a","vendor":"wes","url":"http://x/ga4gh/wes/v1","runs":["r1"]}]}"#.write(to: good, atomically: true, encoding: .utf8)
        #expect(await ExporterCommand.run(["--config.file=\(good.path)", "--config.check"]) == 0)
        #expect(await ExporterCommand.run(["--version"]) == 0)
    }

    @Test func configCheckSummaryNamesEveryTargetWithoutSecrets() throws {
        let config = try ConfigLoader(environment: { _ in "env-secret-x" }, readFile: { _ in .success(Array("file-secret-x".utf8)) })
            .parse(Array(ConfigExamples.readme.utf8), file: "c.json")
        let text = ConfigCheck.summary(config, file: "c.json")
        #expect(text.hasPrefix("c.json: valid, 5 target(s), 6 run(s)\n"))
        for name in ["rsa-prod", "seq", "ib", "cavatica", "nexio"] { #expect(text.contains("  \(name): ")) }
        #expect(!text.contains("nx_test_example"))
    }

    @Test func shardFlags() throws {
        let o = try CommandLineOptions.parse(["--config.file=c.json", "--shard=2", "--total-shards", "3"])
        #expect(o.shard == Shard(index: 2, total: 3))
        #expect(try CommandLineOptions.parse(["--config.file=c.json"]).shard == .all)
        #expect(try CommandLineOptions.parse(["--config.file=c.json", "--total-shards=1"]).shard == .all)
        for bad in [["--shard=3", "--total-shards=3"], ["--shard=-1", "--total-shards=3"], ["--shard=1"],
                    ["--total-shards=0"], ["--shard=x", "--total-shards=2"]] {
            #expect(throws: UsageError.self, "\(bad)") { try CommandLineOptions.parse(["--config.file=c.json"] + bad) }
        }
        do {
            _ = try CommandLineOptions.parse(["--config.file=c.json", "--shard=3", "--total-shards=3"])
        } catch {
            #expect(error.message == "--shard must be from 0 to 2 with --total-shards=3, not 3")
        }
    }
}
