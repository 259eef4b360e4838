import Foundation
import RunStatusModel
import Synchronization
import TestSupport
import Testing
@testable import Configuration
@testable import CurlTransport
@testable import Logging
@testable import Polling
@testable import RunStatusExporter
@testable import RunStore
@testable import Serving

/// The redactor on its own: every framing a vendor could echo a secret in, the bounds, and the logger's use of it.
@Suite struct SecretRedactorTests {
    static let secret = #"tok/en"+Zq9 é"#

    static func redactor(_ secrets: String...) -> SecretRedactor {
        let r = SecretRedactor()
        r.register(secrets)
        return r
    }

    /// What a vendor might write, each built here by hand, not by the code under test.
    static func echoes(of s: String) -> [(String, String)] {
        let json = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        let percent = s.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        return [
            ("as is", "The token \(s) is not valid"),
            ("header echo", "bad X-Api-Token: \(s)"),
            ("quoted", "credential '\(s)' rejected"),
            ("key=", "key=\(s)"),
            ("JSON", #"{"detail":"\#(json)"}"#),
            ("JSON with \\/ and \\u", #"{"detail":"\#(json.replacingOccurrences(of: "/", with: "\\/").replacingOccurrences(of: "é", with: "\\u00e9"))"}"#),
            ("percent-encoded", "GET /x?token=\(percent) failed"),
            ("percent-encoded, lower-case hex", "GET /x?token=\(percent.lowercased()) failed"),
            ("base64", "saw " + Data(s.utf8).base64EncodedString()),
            ("base64 of user:secret", "Authorization: Basic " + Data("user:\(s)".utf8).base64EncodedString()),
            ("base64 of ab:secret", "Basic " + Data("ab:\(s)".utf8).base64EncodedString()),
            ("base64 of a:secret", "Basic " + Data("a:\(s)".utf8).base64EncodedString()),
            ("base64url", Data("xy\(s)".utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")),
            ("HTML", "<p>" + s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;") + "</p>"),
            ("cut by a bound", "The token \(s.prefix(6))…"),
        ]
    }

    @Test func everyFramingIsHidden() {
        let r = Self.redactor(Self.secret)
        for (what, text) in Self.echoes(of: Self.secret) {
            let out = r.redact(text)
            #expect(out.contains(SecretRedactor.replacement), "\(what): \(out)")
            #expect(!out.contains("Zq9"), "\(what): \(out)")
        }
        // The words around it stay.
        #expect(r.redact("The token \(Self.secret) is not valid") == "The token [redacted] is not valid")
        #expect(r.redact("nothing to see") == "nothing to see")
    }

    @Test func plainTokensInEveryFramingOfTheIssue() {
        let token = "3f9c2e7a1b8d4c6e"
        let r = Self.redactor(token)
        for (what, text) in Self.echoes(of: token) {
            #expect(!r.redact(text).contains("1b8d4c"), "\(what): \(r.redact(text))")
        }
        #expect(r.redact("TOKEN \(token.uppercased()) DENIED") == "TOKEN [redacted] DENIED")
    }

    @Test func shortValuesAreNotUsed() {
        let r = Self.redactor("a", "abc1234")
        #expect(r.count == 0)
        #expect(r.redact("a cat abc1234") == "a cat abc1234")
        #expect(Credentials.contentProblem("abc1234")?.contains("shorter than 8") == true)
        #expect(Credentials.contentProblem("abcd1234") == nil)
    }

    @Test func oldValuesStayWithinTheBoundAndCurrentOnesAreNeverDropped() {
        let r = SecretRedactor()
        r.register("current-token-0")
        for i in 0..<SecretRedactor.capacity {
            r.register("rotated-token-\(i)")
            // The current value is registered again on every poll cycle.
            if i % 10 == 0 { r.register("current-token-0") }
        }
        #expect(r.count == SecretRedactor.capacity)
        #expect(r.redact("current-token-0") == "[redacted]")
        #expect(r.redact("rotated-token-\(SecretRedactor.capacity - 1)") == "[redacted]")
        #expect(r.redact("rotated-token-100") == "[redacted]")
        // The least recently registered went first.
        #expect(r.redact("rotated-token-0") == "rotated-token-0")
    }

    @Test func usableFromManyThreadsAtOnce() async {
        let r = SecretRedactor()
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<8 {
                group.addTask {
                    for i in 0..<30 {
                        r.register("thread-\(t)-secret-\(i)")
                        _ = r.redact("echo thread-\(t)-secret-\(i) here")
                    }
                }
            }
        }
        #expect(r.count == 240)
        #expect(r.redact("thread-7-secret-29 thread-0-secret-0") == "[redacted] [redacted]")
    }

    @Test(arguments: [Logger.Format.logfmt, .json])
    func everyLogLineAtEveryLevel(format: Logger.Format) {
        let lines = Mutex<[String]>([])
        let r = Self.redactor(Self.secret)
        let logger = Logger(level: .debug, format: format, redactor: r, sink: { line in lines.withLock { $0.append(line) } })
        for level in Logger.Level.allCases {
            logger.log(level, "vendor said \(Self.secret)", ["error": #"{"detail":"\#(Self.secret.replacingOccurrences(of: "\"", with: "\\\""))"}"#,
                                                              "other": Self.secret])
        }
        let all = lines.withLock { $0 }
        #expect(all.count == 4)
        for line in all {
            #expect(!line.contains("Zq9"), "\(line)")
            #expect(line.contains("[redacted]"))
        }
    }

    @Test func vendorStatesAndListedRunsAreRedactedBeforeTheyBecomeLabels() {
        let r = Self.redactor("label-secret-77")
        let obs = RunObservation(state: .unknown, vendorState: "denied label-secret-77", mapped: false)
        #expect(r.redact(obs).vendorState == "denied [redacted]")
        let listed = r.redact([ListedRun(runID: "ok-run", observation: obs), ListedRun(runID: "run-label-secret-77")])
        #expect(listed.map(\.runID) == ["ok-run"])
        #expect(listed[0].observation?.vendorState == "denied [redacted]")
    }

    /// Through the poller: a vendor's list that echoes the token in a state and in a run id adds no label with it.
    @Test func aListingThatEchoesTheTokenPutsItInNoLabel() async {
        let token = "list-token-5e1"
        let fetcher = FakeFetcher { url, _ in
            if url.absoluteString.contains("/runs?") {
                return .success(VendorResponse(status: 200, text: #"""
                {"runs": [{"run_id": "ok1", "state": "RUNNING"}, {"run_id": "run-\#(token)", "state": "RUNNING"},
                          {"run_id": "ok2", "state": "denied \#(token)"}], "next_page_token": ""}
                """#))
            }
            if url.absoluteString.hasSuffix("/runs/ok2") {
                return .success(VendorResponse(status: 200, text: #"""
                {"run_id": "ok2", "state": "denied \#(token)", "run_log": {"start_time": "2026-01-15T09:00:00Z"}}
                """#))
            }
            return .success(VendorResponse(status: 404, text: "no"))
        }
        var target = TargetConfig(name: "w", vendor: .wes, url: "http://vendor.invalid/ga4gh/wes/v1", auth: .bearer(.inline(token)),
                                  runs: [], pollInterval: 60, terminalPollInterval: 600, timeout: 1, discover: DiscoveryConfig())
        target.rateLimit = nil
        let config = ExporterConfig(targets: [target])
        let store = MetricsStore(config: config)
        let logs = LogCapture()
        let poller = Poller(store: store, fetcher: fetcher, logger: logs.logger, now: ManualClock(1_800_000_000).closure)
        poller.start(config)
        let listed = await eventually(timeout: 30) {
            store.snapshot().targets[0].runs.contains { $0.runID == "ok2" && $0.observation != nil }
        }
        await poller.stop()
        #expect(listed, "\(fetcher.requests.map(\.url)) \(logs.all)")
        let runs = store.snapshot().targets[0].runs
        #expect(runs.map(\.runID).sorted() == ["ok1", "ok2"])
        let text = String(decoding: Routes(store: store, config: config).render(format: .text).body, as: UTF8.self)
        #expect(!text.contains(token), "\(text)")
        #expect(text.contains(#"vendor_state="denied [redacted]""#), "\(text)")
        for line in logs.all { #expect(!line.contains(token), "\(line)") }
    }
}
