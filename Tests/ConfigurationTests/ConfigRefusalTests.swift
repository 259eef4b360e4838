import Foundation
import Logging
import TestSupport
import Testing
@testable import Configuration

/// Configs that could never work are refused by the loader, naming the file, the JSON path and the problem.
/// (The program's exit 2 at start and on `--config.check`, and a credentials file that goes bad after start, are in
/// `RunStatusExporterTests`.)
@Suite struct ConfigRefusalTests {
    @Test func eachIsAProblemWithItsPath() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("token", "file-token\nsecond-line\n")
        try FileManager.default.createDirectory(atPath: directory.file("dir"), withIntermediateDirectories: false)
        let loader = ConfigLoader(environment: { RefusedConfigs.environment[$0] })
        for c in RefusedConfigs.cases {
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
        _ = try ConfigLoader(redactor: redactor).parse(Array(RefusedConfigs.config(headers: headers).utf8), file: "c.json")
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
    }

    /// The redactor ignores values shorter than 8 characters, so the config refuses them as secrets.
    @Test func secretsShorterThanTheRedactorUsesAreRefused() {
        #expect(Credentials.contentProblem("abc1234")?.contains("shorter than 8") == true)
        #expect(Credentials.contentProblem("abcd1234") == nil)
    }
}
