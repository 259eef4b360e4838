import ChildProcesses
import Foundation
import RunStatusModel
import TestSupport
import Testing
@testable import Configuration
@testable import CurlTransport
@testable import Logging
@testable import Polling
@testable import RunStatusExporter
@testable import RunStore
@testable import Serving

/// Configs that could never work are refused at start and by `--config.check` (exit 2), naming the file, the JSON
/// path and the problem; a credentials file that goes bad after start costs that target's cycle, nothing more.
@Suite(.timeLimit(.minutes(2))) struct ConfigRefusalTests {
    static func config(auth: String = #"{"type":"bearer","credentials":"good-token-123"}"#, headers: String = "{}") -> String {
        #"{"targets":[{"name":"nx","vendor":"nexio","url":"http://127.0.0.1:9","runs":["r1"],"auth":\#(auth),"headers":\#(headers)}]}"#
    }

    /// Each case: the config, the JSON path and words of the problem. `FILE` and `DIR` stand for paths made per test.
    static let cases: [(name: String, config: String, path: String, problem: String)] = [
        ("CR LF in an inline credential", config(auth: #"{"type":"bearer","credentials":"good-token\r\nX-Evil: 1"}"#),
         "targets[0].auth.credentials", "the secret holds a line break (CR or LF), which an HTTP header cannot carry"),
        ("LF in an inline credential", config(auth: #"{"type":"bearer","credentials":"good-token\n123"}"#),
         "targets[0].auth.credentials", "the secret holds a line break (CR or LF)"),
        ("NUL in an inline credential", config(auth: #"{"type":"bearer","credentials":"good-token\u0000123"}"#),
         "targets[0].auth.credentials", "the secret holds a NUL character"),
        ("CR LF in a header value", config(headers: #"{"IB-Context":"org-acme\r\nX-Evil: 1"}"#),
         "targets[0].headers.IB-Context", "value holds a line break (CR or LF)"),
        ("NUL in a header value", config(headers: #"{"IB-Context":"org\u0000acme"}"#),
         "targets[0].headers.IB-Context", "value holds a NUL character"),
        ("LF inside the secret of a credentials file", config(auth: #"{"type":"bearer","credentials_file":"FILE"}"#),
         "targets[0].auth.credentials_file", "the secret in file \"FILE\" holds a line break (CR or LF)"),
        ("a credentials file that is a directory", config(auth: #"{"type":"bearer","credentials_file":"DIR"}"#),
         "targets[0].auth.credentials_file", "file \"DIR\" is a directory, not a file holding the secret"),
        ("LF in a credentials environment variable", config(auth: #"{"type":"bearer","credentials_env":"RST_TEST_LF_TOKEN"}"#),
         "targets[0].auth.credentials_env", "the secret in environment variable RST_TEST_LF_TOKEN holds a line break"),
        ("a secret too short to be kept out of logs", config(auth: #"{"type":"bearer","credentials":"abc"}"#),
         "targets[0].auth.credentials", "the secret is only 3 character(s) long; secrets shorter than 8 are refused"),
    ]

    static let environment = ["RST_TEST_LF_TOKEN": "env-token\n123"]

    @Test func eachIsAProblemWithItsPath() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("token", "file-token\nsecond-line\n")
        try FileManager.default.createDirectory(atPath: directory.file("dir"), withIntermediateDirectories: false)
        let loader = ConfigLoader(environment: { Self.environment[$0] })
        for c in Self.cases {
            let json = c.config.replacingOccurrences(of: "FILE", with: directory.file("token")).replacingOccurrences(of: "DIR", with: directory.file("dir"))
            let problem = c.problem.replacingOccurrences(of: "FILE", with: directory.file("token")).replacingOccurrences(of: "DIR", with: directory.file("dir"))
            #expect(throws: ConfigError.self, "\(c.name)") { _ = try loader.parse(Array(json.utf8), file: "c.json") }
            do { _ = try loader.parse(Array(json.utf8), file: "c.json") } catch {
                #expect(error.lines.contains { $0.hasPrefix("c.json: \(c.path): ") && $0.contains(problem) }, "\(c.name): \(error.lines)")
            }
        }
    }

    /// A name, URL path, run id or label holding a credential would put it in /metrics: refused.
    @Test func aCredentialInAShownFieldIsRefused() {
        let json = #"""
        {"targets":[{"name":"x-env-token-123","vendor":"nexio","url":"http://127.0.0.1:9/inline-token-123",
          "runs":["inline-token-123",{"id":"r2","labels":{"owner":"env-token-123"}}],
          "auth":{"type":"bearer","credentials":"inline-token-123"}},
         {"name":"b","vendor":"nexio","url":"http://127.0.0.1:9","runs":["r"],"auth":{"type":"bearer","credentials_env":"TOKEN"}}]}
        """#
        let redactor = SecretRedactor()
        let loader = ConfigLoader.fake(environment: ["TOKEN": "env-token-123"], redactor: redactor)
        var lines: [String] = []
        do { _ = try loader.parse(Array(json.utf8), file: "c.json") } catch { lines = error.lines }
        let why = "holds the value of a configured credential, and would be shown in /metrics or on the landing page"
        #expect(lines == ["c.json: targets[0].name: \(why)", "c.json: targets[0].url: \(why)", "c.json: targets[0].runs[0]: \(why)",
                          "c.json: targets[0].runs[1].labels.owner: \(why)"], "\(lines)")
        // Even a config refused taught the redactor its secrets, so whatever prints its problems hides them.
        #expect(redactor.redact("inline-token-123 env-token-123") == "[redacted] [redacted]")
    }

    @Test func theLinesOfARefusedValueAreHiddenToo() {
        let redactor = SecretRedactor()
        let credentials = Credentials(environment: { _ in "first-line-1\r\nsecond-line-2" }, redactor: redactor)
        guard case .failure(let e) = credentials.read(.environment("T")) else { Issue.record("a line break was accepted"); return }
        #expect(e.message == "the secret in environment variable T holds a line break (CR or LF), which an HTTP header cannot carry")
        #expect(redactor.redact("saw first-line-1 and second-line-2") == "saw [redacted] and [redacted]")
    }

    /// A static header whose name says it carries a key is hidden like a credential; one that names a tenant or an
    /// org is not, so it blanks no target name in logs and drops no discovered run whose id contains it.
    @Test func onlyHeadersThatCarryASecretAreHidden() throws {
        let redactor = SecretRedactor()
        let headers = #"{"X-Api-Key":"key-0123456789","Cookie":"session=abcdef123","IB-Context":"production","X-Tenant":"org-acme-eu"}"#
        _ = try ConfigLoader(redactor: redactor).parse(Array(Self.config(headers: headers).utf8), file: "c.json")
        #expect(redactor.redact("key-0123456789 session=abcdef123") == "[redacted] [redacted]")
        #expect(redactor.redact("target production-eu, run org-acme-eu-7") == "target production-eu, run org-acme-eu-7")
    }

    @Test func aConfigPathThatIsADirectorySaysSo() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(throws: ConfigError.self) { try ConfigLoader().load(path: directory.url.path) }
        do { _ = try ConfigLoader().load(path: directory.url.path) } catch {
            #expect(error.lines == ["\(directory.url.path): is a directory, not a config file; give the path of the JSON file"])
        }
        // The web config file too (`--web.config.file`).
        do { _ = try WebConfig.load(path: directory.url.path); Issue.record("a directory loaded as a web config") } catch {
            #expect(error.lines == ["\(directory.url.path): is a directory, not a config file; give the path of the JSON file"])
        }
    }

    /// The real program, at start and with `--config.check`: exit 2 and one plain line; never a secret, never
    /// Foundation's error numbers.
    @Test(.requires(.exporter))
    func theProgramExitsWith2AtStartAndOnCheck() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("token", "file-token\nsecond-line\n")
        try FileManager.default.createDirectory(atPath: directory.file("dir"), withIntermediateDirectories: false)
        var runs: [(name: String, file: String, path: String, problem: String)] = []
        for (i, c) in Self.cases.enumerated() {
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
                let result = try await SpawnedProcess.run(Program.exporter.path!, args, environment: Self.environment, timeout: .seconds(20))
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
