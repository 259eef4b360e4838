import Foundation
import Synchronization
import Testing
@testable import Logging

/// The redactor on its own: every framing a vendor could echo a secret in, the bounds, and the logger's use of it.
/// (That the config refuses secrets this short is `ConfigRefusalTests.secretsShorterThanTheRedactorUsesAreRefused`.)
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
}
