import ChildProcesses
import Foundation
import Glibc
import HTTPServer
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

/// A vendor that echoes the credential back, in every framing vendors were seen to use (in a sentence, a header
/// echo, quotes, key=value, JSON) and a few more, for inline, file, environment and rotated-file credentials: no
/// log line, reload answer, check output, metrics page or landing page may show it.
@Suite(.requires(.exporter),
       .timeLimit(.minutes(2)))
struct SecretEchoTests {
    // Every secret holds "SECRET", so any visible piece of one is found by that word; `/`, `+` and `"` make the
    // escaped and encoded forms differ from the raw one.
    static let inline = #"inl/ine+SECRET"a1"#
    static let file = "fi/le+SECRET-b2"
    static let env = "en/v+SECRET-c3"
    static let rotatedOld = "ro/t1+SECRET-d4"
    static let rotatedNew = "ro/t2+SECRET-e5"
    static let all = [inline, file, env, rotatedOld, rotatedNew]
    /// The web config's hash (the README's example, password `example-password`).
    static let hash = "$2b$10$yP5cMorhHsfuZ/ccYRATgeNLp/QQcuRtEM09KLlAG/Kr7D60gR9Ka"
    static let basic = ("Authorization", "Basic " + Data("prometheus:example-password".utf8).base64EncodedString())
    static let wrongClientPassword = "wrong-client-pass-77"

    static func json(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    /// Run `eN` of any target is answered 401 with the token in framing N; run `state` is answered 200 with the
    /// token in its status, which would become the `vendor_state` label.
    static func body(framing: Int, _ s: String) -> String {
        switch framing {
        case 0: "The token \(s) is not valid"
        case 1: "bad X-Api-Token: \(s)"
        case 2: "credential '\(s)' rejected"
        case 3: "key=\(s)"
        case 4: #"{"detail":"\#(json(s))"}"#
        case 5: #"{"detail":"\#(json(s).replacingOccurrences(of: "/", with: "\\/"))"}"#
        case 6: "request GET /v1?access_token=\(s.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!) refused"
        default: #"{"detail":"bad basic \#(Data("user:\(s)".utf8).base64EncodedString())"}"#
        }
    }
    static let framings = 8

    /// The forms that went out, to look for in everything the exporter shows.
    static func forms(_ s: String) -> [String] {
        [s, json(s), json(s).replacingOccurrences(of: "/", with: "\\/"), s.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
         Data("user:\(s)".utf8).base64EncodedString(), "SECRET"]
    }

    final class Vendor: Sendable {
        /// Per target path: every token seen, in order.
        let seen = Mutex<[String: [String]]>([:])
        let requests = Mutex(0)

        func handle(_ request: HTTPRequest) -> HTTPResponse {
            let parts = String(request.path).split(separator: "/")  // target, api, v1, runs, id
            guard parts.count == 5 else { return HTTPResponse(status: 404) }
            let target = String(parts[0]), run = String(parts[4])
            let token = String((request.header("Authorization") ?? "").dropFirst("Bearer ".count))
            let n = requests.withLock { $0 += 1; return $0 }
            // After a rotation, every other answer echoes the first token seen: an old token echoed late.
            let history = seen.withLock { s -> [String] in
                if s[target]?.last != token { s[target, default: []].append(token) }
                return s[target]!
            }
            let echoed = history.count > 1 && n % 2 == 0 ? history[0] : token
            if run == "state" {
                return HTTPResponse(status: 200, contentType: "application/json",
                    body: #"{"run_id":"state","status":"denied \#(SecretEchoTests.json(echoed))","created_at":"2026-04-01T18:19:38.851Z"}"#)
            }
            let framing = Int(run.dropFirst()) ?? 0
            let body = SecretEchoTests.body(framing: framing, echoed)
            return HTTPResponse(status: 401, contentType: body.hasPrefix("{") ? "application/json" : "text/plain", body: body)
        }
    }

    static func config(port: UInt16, tokenFile: String, rotatedFile: String, broken: Bool) -> String {
        let runs = ((0..<framings).map { "\"e\($0)\"" } + ["\"state\""]).joined(separator: ",")
        func target(_ name: String, _ auth: String, timezone: String? = nil) -> String {
            #"{"name":"\#(name)","vendor":"nexio","url":"http://127.0.0.1:\#(port)/\#(name)","runs":[\#(runs)],"auth":\#(auth)"#
                + (timezone.map { #","timezone":"\#(json($0))""# } ?? "") + "}"
        }
        return """
        {"poll_interval": "1s", "timeout": "5s", "targets": [
          \(target("inline", #"{"type":"bearer","credentials":"\#(json(inline))"}"#, timezone: broken ? inline : nil)),
          \(target("file", #"{"type":"bearer","credentials_file":"\#(tokenFile)"}"#, timezone: broken ? hash : nil)),
          \(target("env", #"{"type":"bearer","credentials_env":"RST_TEST_ECHO_TOKEN"}"#, timezone: broken ? env : nil)),
          \(target("rotated", #"{"type":"bearer","credentials_file":"\#(rotatedFile)"}"#))
        ]}
        """
    }

    @Test func echoedCredentialsAreHiddenEverywhere() async throws {
        let vendor = Vendor()
        let server = HTTPServer(configuration: HTTPServerConfiguration()) { vendor.handle($0) }
        let port = try server.start()
        defer { Task { await server.shutdown() } }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("token", Self.file + "\n")
        try directory.write("rotated", Self.rotatedOld + "\n")
        try directory.write("web.json", #"{"basic_auth_users":{"prometheus":"\#(Self.hash)"}}"#)
        let configFile = directory.file("config.json")
        func writeConfig(broken: Bool) throws {
            try directory.write("config.json", Self.config(port: port, tokenFile: directory.file("token"),
                                                           rotatedFile: directory.file("rotated"), broken: broken))
        }
        try writeConfig(broken: false)
        let environment = ["RST_TEST_ECHO_TOKEN": Self.env]

        let exporter = try await LifecycleTests.Exporter.start(
            ["--config.file=\(configFile)", "--log.level=debug", "--web.config.file=\(directory.file("web.json"))"],
            in: directory, environment: environment)
        defer { Glibc.kill(exporter.child.pid, SIGKILL) }
        try await exporter.waitFor(headers: [Self.basic])

        // Rotation, then until the vendor has echoed the new token and, late, the old one, on more cycles.
        try directory.write("rotated", Self.rotatedNew + "\n")
        let rotatedSeen = await eventually(timeout: 30) {
            vendor.seen.withLock { $0["rotated"]?.count ?? 0 } >= 2
        }
        #expect(rotatedSeen)
        let after = vendor.requests.withLock { $0 }
        #expect(await eventually(timeout: 30) { vendor.requests.withLock { $0 } >= after + 4 * 9 * 2 })

        var seen: [(what: String, text: String)] = []
        let metrics = try await exporter.get("/metrics", headers: [Self.basic])
        #expect(metrics.status == 200)
        seen.append(("/metrics", metrics.text))
        seen.append(("/", try await exporter.get("/", headers: [Self.basic]).text))
        // A client with a wrong password: nothing may log its Authorization header.
        let wrong = try await exporter.get("/metrics", headers: [("Authorization", "Basic " + Data("prometheus:\(Self.wrongClientPassword)".utf8).base64EncodedString())])
        #expect(wrong.status == 401)

        // A reload whose problems quote the inline and environment secrets and the web config's hash.
        try writeConfig(broken: true)
        let reload = try await exporter.get("/-/reload", method: "POST", headers: [Self.basic])
        #expect(reload.status == 500)
        #expect(reload.text.contains("targets[0].timezone: unknown time zone \"[redacted]\""), "\(reload.text)")
        #expect(reload.text.contains("targets[1].timezone: unknown time zone \"[redacted]\""), "\(reload.text)")
        seen.append(("POST /-/reload", reload.text))
        let check = try await SpawnedProcess.run(Program.exporter.path!, ["--config.file=\(configFile)", "--config.check",
                                                                        "--web.config.file=\(directory.file("web.json"))"],
                                               environment: environment)
        #expect(check.status == 2)
        seen.append(("--config.check of a bad config", check.output))

        exporter.child.signal(SIGTERM)
        #expect(await exporter.child.waitForExit(timeout: .seconds(5)) == 0)
        let logs = exporter.child.output
        seen.append(("logs", logs))

        for (what, text) in seen {
            for secret in Self.all {
                for form in Self.forms(secret) {
                    #expect(!text.contains(form), "\(form) leaked into \(what):\n\(text.prefix(4000))")
                }
            }
            for form in [Self.hash, Self.wrongClientPassword, Data("prometheus:\(Self.wrongClientPassword)".utf8).base64EncodedString()] {
                #expect(!text.contains(form), "\(form) leaked into \(what):\n\(text.prefix(4000))")
            }
        }
        // The echoes did reach the exporter: errors logged for every framing, the state became a label.
        for framing in 0..<Self.framings {
            #expect(logs.contains("run=e\(framing) reason=unauthorized"), "e\(framing): \(logs.suffix(3000))")
        }
        #expect(metrics.text.contains(#"vendor_state="denied [redacted]""#), "\(metrics.text.prefix(3000))")
        #expect(logs.contains("configuration reload failed"))
    }
}
