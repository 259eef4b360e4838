import ChildProcesses
import Foundation
import RunStatusModel
import TestSupport
import Testing
@testable import Configuration
@testable import Polling
@testable import RunStore

/// Configs that could never work are refused at start and by `--config.check` (exit 2), naming the file, the JSON
/// path and the problem; a credentials file that goes bad after start costs that target's cycle, nothing more.
/// (The loader's side of each refusal is `ConfigurationTests.ConfigRefusalTests`.)
@Suite(.timeLimit(.minutes(2))) struct ConfigRefusalTests {
    /// The real program, at start and with `--config.check`: exit 2 and one plain line; never a secret, never
    /// Foundation's error numbers.
    @Test(.requires(.exporter))
    func theProgramExitsWith2AtStartAndOnCheck() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("token", "file-token\nsecond-line\n")
        try FileManager.default.createDirectory(atPath: directory.file("dir"), withIntermediateDirectories: false)
        var runs: [(name: String, file: String, path: String, problem: String)] = []
        for (i, c) in RefusedConfigs.cases.enumerated() {
            let file = directory.file("config-\(i).json")
            let json = c.config.replacingOccurrences(of: "FILE", with: directory.file("token")).replacingOccurrences(of: "DIR", with: directory.file("dir"))
            try directory.write("config-\(i).json", json)
            let problem = c.problem.replacingOccurrences(of: "FILE", with: directory.file("token")).replacingOccurrences(of: "DIR", with: directory.file("dir"))
            runs.append((c.name, file, c.path, problem))
        }
        runs.append(("a config path that is a directory", directory.file("dir"), "", "is a directory, not a config file"))
        for r in runs {
            for check in [true, false] {
                let args = ["--config.file=\(r.file)", "--web.listen-address=127.0.0.1:0"] + (check ? ["--config.check"] : [])
                let result = try await SpawnedProcess.run(Program.exporter.path!, args, environment: RefusedConfigs.environment, timeout: .seconds(20))
                #expect(result.status == 2, "\(r.name), check \(check): \(result.output)")
                let expected = r.path.isEmpty ? "\(r.file): \(r.problem)" : "\(r.file): \(r.path): \(r.problem)"
                #expect(result.output.contains(expected), "\(r.name), check \(check): \(result.output)")
                #expect(!result.output.contains("NSCocoaErrorDomain"), "\(result.output)")
                for secret in ["second-line", "X-Evil", "token\n123"] { #expect(!result.output.contains(secret), "\(result.output)") }
            }
        }
    }

    /// After start the file is only read per cycle: a directory or a line break there skips that target's cycle
    /// with a line that says why (and holds no secret), and the next good value is used.
    @Test func aCredentialsFileThatGoesBadAfterStartSkipsTheCycle() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("token")
        try directory.write("token", "first-token-1\n")
        let fetcher = FakeFetcher { _, _ in .success(VendorResponse(status: 200, text: PollerTests.nexioRunning)) }
        let clock = ManualClock(1_800_000_000)
        let config = ExporterConfig(targets: [PollerTests.target(runs: ["r"], auth: .bearer(.file(path)))])
        let store = MetricsStore(config: config)
        let logs = LogCapture()
        let poller = Poller(store: store, fetcher: fetcher, logger: logs.logger, now: clock.closure)
        poller.start(config)
        #expect(await eventually(timeout: 30) { fetcher.count >= 1 })

        // A directory where the file was.
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        let before = fetcher.count
        clock.set(1_800_000_010)
        let skipped = await eventually(timeout: 30) { logs.all.contains { $0.contains("is a directory") } }
        #expect(skipped, "\(logs.all)")
        #expect(fetcher.count == before)

        // A second line in the file.
        try FileManager.default.removeItem(atPath: path)
        try directory.write("token", "rotated-token-2\nleaked-line-3\n")
        clock.set(1_800_000_020)
        #expect(await eventually(timeout: 30) { logs.all.contains { $0.contains("holds a line break") } }, "\(logs.all)")
        #expect(fetcher.count == before)

        // Good again.
        try directory.write("token", "rotated-token-4\n")
        clock.set(1_800_000_030)
        #expect(await eventually(timeout: 30) { fetcher.count > before })
        await poller.stop()
        #expect(fetcher.requests.last?.headers["Authorization"] == "Bearer rotated-token-4")
        let skips = logs.all.filter { $0.contains("cannot read credentials; skipping poll cycle") }
        #expect(skips.count >= 2)
        for line in logs.all {
            #expect(!line.contains("rotated-token-2") && !line.contains("leaked-line-3") && !line.contains("first-token-1"), "\(line)")
        }
    }
}
