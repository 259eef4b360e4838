import Logging
import RunStatusModel
import TestSupport
import Testing
@testable import Configuration

@Suite struct ConfigLoaderTests {
    let loader = ConfigLoader.fake(environment: ["SEQUENTUM_API_KEY": "seq-key-123", "IB_TOKEN": "ib-token-123", "SBG_TOKEN": "sbg-token-123"],
                                   files: ["/run/secrets/rsa": "rsa-token-123\n"])

    func problems(_ json: String) -> [String] {
        do {
            _ = try loader.parse(Array(json.utf8), file: "c.json")
            return []
        } catch {
            return error.lines
        }
    }

    @Test func issueExampleLoads() throws {
        let c = try loader.parse(Array(ConfigExamples.readme.utf8), file: "c.json")
        #expect(c.pollInterval == 30 && c.terminalPollInterval == 600 && c.timeout == 10 && c.maxConcurrency == 16)
        #expect(c.targets.map(\.name) == ["rsa-prod", "seq", "ib", "cavatica", "nexio"])
        #expect(c.targets.map(\.vendor) == [.rsa, .sequentum, .instabase, .wes, .nexio])
        #expect(c.targets[0].timeZone == "Europe/Berlin")
        #expect(c.targets[0].runs == [RunConfig(id: "1001"), RunConfig(id: "1002", labels: [LabelPair("collector", "AD accounts")])])
        #expect(c.targets[0].auth == .bearer(.file("/run/secrets/rsa")))
        #expect(c.targets[1].auth == .apiKey(.environment("SEQUENTUM_API_KEY")))
        #expect(c.targets[2].headers == ["IB-Context": "org-acme"])
        #expect(c.targets[3].auth == .header(name: "X-SBG-Auth-Token", .environment("SBG_TOKEN")))
        #expect(c.targets[3].url == "https://cavatica-ga4gh-api.sbgenomics.com/ga4gh/wes/v1")
        #expect(c.targets[4].auth == .bearer(.inline("nx_test_example")))
    }

    @Test func perTargetIntervalsOverrideGlobalOnes() throws {
        let c = try loader.parse(Array("""
        {"poll_interval":"1m","targets":[{"name":"a","vendor":"nexio","url":"http://x","runs":["r"],
          "poll_interval":"500ms","timeout":"2s","terminal_poll_interval":"1h30m"}]}
        """.utf8), file: "c.json")
        #expect(c.pollInterval == 60)
        #expect(c.targets[0].pollInterval == 0.5 && c.targets[0].timeout == 2 && c.targets[0].terminalPollInterval == 5400)
    }

    @Test func unknownKeysAreNamedWithTheirPath() {
        let p = problems(#"{"pol_interval":"1s","targets":[{"name":"a","vendor":"nexio","url":"http://x","runs":["r"],"auth":{"type":"none","token":"x"}}]}"#)
        #expect(p.contains { $0.hasPrefix("c.json: pol_interval: unknown key") })
        #expect(p.contains { $0.hasPrefix("c.json: targets[0].auth.token: unknown key") })
    }

    @Test func everyProblemIsReportedOnItsOwnLine() {
        let p = problems("""
        {"timeout":"ten","max_concurrency":0,"targets":[
          {"name":"a","vendor":"oracle","url":"http://x","runs":["1"]},
          {"name":"a","vendor":"rsa","url":"ftp://x","runs":["12x"]},
          {"name":"b","vendor":"sequentum","url":"http://x","runs":["7","7/8","7/8"]},
          {"name":"c","vendor":"nexio","url":"http://x","runs":["r"],"auth":{"type":"bearer","credentials_file":"/nope"}},
          {"name":"d","vendor":"nexio","url":"http://x","runs":["r"],"auth":{"type":"header","credentials_env":"UNSET_VAR"}},
          {"name":"e","vendor":"rsa","url":"http://x","runs":["1"],"timezone":"Mars/Olympus"}
        ]}
        """)
        let expected = [
            "c.json: timeout: \"ten\" is not a duration",
            "c.json: max_concurrency: must be between 1 and 4096, not 0",
            "c.json: targets[0].vendor: unknown vendor \"oracle\"",
            "c.json: targets[1].url: scheme must be http or https, not ftp",
            "c.json: targets[1].runs[0]: malformed rsa run id \"12x\"",
            "c.json: targets[2].runs[0]: malformed sequentum run id \"7\"",
            "c.json: targets[2].runs[2]: duplicate run \"7/8\"",
            "c.json: targets[3].auth.credentials_file: file \"/nope\" does not exist or is not readable",
            "c.json: targets[4].auth.credentials_env: environment variable UNSET_VAR is not set or empty",
            "c.json: targets[4].auth.header: is required with auth type header",
            "c.json: targets[5].timezone: unknown time zone \"Mars/Olympus\"",
        ]
        for e in expected {
            #expect(p.contains { $0.hasPrefix(e) }, "missing: \(e)\nall:\n\(p.joined(separator: "\n"))")
        }
    }

    @Test func duplicateTargetNames() {
        let p = problems(#"{"targets":[{"name":"a","vendor":"nexio","url":"http://x","runs":[]},{"name":"a","vendor":"wes","url":"http://y","runs":[]}]}"#)
        #expect(p == ["c.json: targets[1].name: duplicate target name \"a\""])
    }

    @Test func authNeedsExactlyOneSource() {
        let two = problems(#"{"targets":[{"name":"a","vendor":"nexio","url":"http://x","runs":[],"auth":{"type":"bearer","credentials":"x","credentials_env":"IB_TOKEN"}}]}"#)
        #expect(two == ["c.json: targets[0].auth: give only one of credentials, credentials_file or credentials_env"])
        let none = problems(#"{"targets":[{"name":"a","vendor":"nexio","url":"http://x","runs":[],"auth":{"type":"apikey"}}]}"#)
        #expect(none == ["c.json: targets[0].auth: needs one of credentials, credentials_file or credentials_env"])
    }

    @Test func secretsNeverAppearInProblems() {
        let p = problems(#"{"targets":[{"name":"a","vendor":"nexio","url":"https://user:hunter2@x/","runs":[],"auth":{"type":"bogus","credentials":"s3cr3t-token"}}]}"#)
        #expect(!p.isEmpty)
        #expect(!p.joined().contains("s3cr3t-token"))
        #expect(!p.joined().contains("hunter2"))
    }

    @Test func reservedAndInvalidRunLabels() {
        let p = problems(#"{"targets":[{"name":"a","vendor":"nexio","url":"http://x","runs":[{"id":"r","labels":{"vendor":"x","bad-name":"y","ok":"z","__meta":"w"}}]}]}"#)
        #expect(p.count == 3)
        #expect(p.contains { $0.hasPrefix("c.json: targets[0].runs[0].labels.vendor: label name is reserved") })
        #expect(p.contains { $0.hasPrefix("c.json: targets[0].runs[0].labels.bad-name: is not a valid label name") })
    }

    @Test func invalidJSONNamesLineAndColumn() {
        let p = problems("{\n  \"targets\": [,]\n}")
        #expect(p == ["c.json: not valid JSON at line 2, column 15: unexpected character"])
    }

    @Test func missingFileIsReported() {
        #expect(throws: ConfigError.self) { try loader.load(path: "/nonexistent/config.json") }
        do { _ = try loader.load(path: "/nonexistent/config.json") } catch {
            #expect(error.lines.count == 1 && error.lines[0].hasPrefix("/nonexistent/config.json: cannot read the file"))
        }
    }

    @Test(arguments: [("500ms", 0.5), ("30s", 30.0), ("10m", 600.0), ("1h", 3600.0), ("1h30m", 5400.0), ("1d", 86400.0), ("1.5s", 1.5)])
    func durations(text: String, seconds: Double) {
        #expect(DurationText.seconds(text) == seconds)
    }

    @Test(arguments: ["", "10", "s", "10x", "-5s", "1s2", "m5"])
    func badDurations(text: String) {
        #expect(DurationText.seconds(text) == nil)
    }
}
