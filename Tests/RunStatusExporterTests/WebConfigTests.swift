import Foundation
import HTTPServer
import Testing
@testable import RunStatusExporter

/// `--web.config.file`: parsing, bcrypt through libcrypt, basic auth with its cache, response headers.
@Suite struct WebConfigTests {
    /// Cost 4 keeps the tests fast; real configs use 10 or more.
    static let aliceHash = "$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e"  // "correct horse"
    static let bobHash = "$2y$05$ABCDEFGHIJKLMNOPQRSTUuErBegoPIq8.pZAo3jsXJ/guhPzrPemW"  // "pa:ss wörd"

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    @Test func bcryptAgreesWithKnownVectors() {
        // jBCrypt's published test vectors, and the $2b$/$2y$ spellings htpasswd and Go write.
        #expect(Bcrypt.verify(password: Array("abc".utf8), hash: "$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i"))
        #expect(Bcrypt.verify(password: [], hash: "$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s."))
        #expect(!Bcrypt.verify(password: Array("abd".utf8), hash: "$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i"))
        #expect(Bcrypt.verify(password: Array("correct horse".utf8), hash: Self.aliceHash))
        #expect(Bcrypt.verify(password: Array("pa:ss wörd".utf8), hash: Self.bobHash))
        #expect(!Bcrypt.verify(password: Array("correct horse\u{0}".utf8), hash: Self.aliceHash))
        #expect(!Bcrypt.verify(password: Array("x".utf8), hash: "$1$not-bcrypt"))
        #expect(Bcrypt.isWellFormed(Self.aliceHash) && Bcrypt.isWellFormed(Self.bobHash))
        #expect(!Bcrypt.isWellFormed("$2b$03$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e"))
        #expect(!Bcrypt.isWellFormed("$2x$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e"))
        #expect(!Bcrypt.isWellFormed(String(Self.aliceHash.dropLast())))
        #expect(Bcrypt.constantTimeEquals([1, 2, 3], [1, 2, 3]) && !Bcrypt.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!Bcrypt.constantTimeEquals([1, 2], [1, 2, 3]))
    }

    @Test func sha256MatchesTheStandardVectors() {
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
        #expect(hex(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func parsesExporterToolkitShape() throws {
        let json = """
        {"basic_auth_users": {"alice": "\(Self.aliceHash)", "bob": "\(Self.bobHash)"},
         "http_server_config": {"http2": true, "headers": {"x-frame-options": "DENY",
                                "Content-Security-Policy": "default-src 'none'"}}}
        """
        let config = try WebConfig.parse(Array(json.utf8), file: "web.json")
        #expect(config.basicAuthUsers == ["alice": Self.aliceHash, "bob": Self.bobHash])
        #expect(config.headers == [.init("X-Frame-Options", "DENY"), .init("Content-Security-Policy", "default-src 'none'")])
        #expect(try WebConfig.parse(Array("{}".utf8), file: "w") == WebConfig())
    }

    @Test func reportsEveryProblemWithItsPath() {
        let json = """
        {"basic_auth_users": {"alice": "plaintext-secret", "": "\(Self.aliceHash)", "a:b": "\(Self.aliceHash)", "carol": 7},
         "http_server_config": {"headers": {"X-Frame-Options": "allow", "Server": "x", "X-XSS-Protection": 1},
                                "http2": "yes", "idle_timeout": 3},
         "tls_server_config": {"cert_file": "a.pem"}, "basic_auth": {}}
        """
        do {
            _ = try WebConfig.parse(Array(json.utf8), file: "web.json")
            Issue.record("accepted an invalid web config")
        } catch {
            let lines = error.lines
            let expected = [
                "web.json: basic_auth_users[\"alice\"]: is not a bcrypt hash",
                "web.json: basic_auth_users[\"\"]: a user name must not be empty",
                "web.json: basic_auth_users[\"a:b\"]: a user name must not contain",
                "web.json: basic_auth_users[\"carol\"]: must be a string",
                "web.json: http_server_config.headers[\"X-Frame-Options\"]: must be one of: deny, sameorigin",
                "web.json: http_server_config.headers[\"Server\"]: not a header that may be set",
                "web.json: http_server_config.headers[\"X-XSS-Protection\"]: must be a string",
                "web.json: http_server_config.http2: must be true or false",
                "web.json: http_server_config.idle_timeout: unknown key",
                "web.json: tls_server_config: TLS is not served by the exporter itself",
                "web.json: basic_auth: unknown key",
            ]
            #expect(lines.count == expected.count, "\(lines)")
            for prefix in expected { #expect(lines.contains { $0.hasPrefix(prefix) }, "missing: \(prefix)\n\(lines)") }
            // A value that was meant to be a hash may be a password: never repeated.
            #expect(!error.description.contains("plaintext-secret"))
        }
        #expect(throws: ConfigError.self) { try WebConfig.parse(Array("{\"basic_auth_users\": ".utf8), file: "w") }
        #expect(throws: ConfigError.self) { try WebConfig.parse(Array("[]".utf8), file: "w") }
        #expect(throws: ConfigError.self) { try WebConfig.load(path: "/nonexistent/web.json") }
    }

    @Test func basicAuthAnswers401UntilTheRightCredentialsAndCachesOnlySuccess() {
        let gate = WebGate(config: WebConfig(basicAuthUsers: ["alice": Self.aliceHash, "bob": Self.bobHash],
                                             headers: [.init("X-Content-Type-Options", "nosniff")]))
        func status(_ authorization: String?) -> HTTPResponse {
            var request = HTTPRequest(method: "GET", target: "/metrics")
            if let authorization { request.headers.append(("Authorization", authorization)) }
            return gate.handle(request) { _ in .text(200, "metrics") }
        }
        let denied = status(nil)
        #expect(denied.status == 401)
        #expect(denied.headers.contains { $0.name == "WWW-Authenticate" && $0.value == "Basic realm=\"runstatus-exporter\", charset=\"UTF-8\"" })
        #expect(denied.headers.contains { $0 == ("X-Content-Type-Options", "nosniff") })
        #expect(gate.bcryptRuns.load(ordering: .relaxed) == 0)

        for bad in ["Bearer abc", "Basic", "Basic !!!", "Basic " + Data("no-colon".utf8).base64EncodedString()] {
            #expect(status(bad).status == 401, "\(bad)")
        }
        #expect(gate.bcryptRuns.load(ordering: .relaxed) == 0)

        #expect(status(Self.basic("alice", "wrong")).status == 401)
        #expect(gate.bcryptRuns.load(ordering: .relaxed) == 1)
        let ok = status(Self.basic("alice", "correct horse"))
        #expect(ok.status == 200 && ok.body == Array("metrics".utf8))
        #expect(ok.headers.contains { $0 == ("X-Content-Type-Options", "nosniff") })
        #expect(gate.bcryptRuns.load(ordering: .relaxed) == 2)
        // Cached: no bcrypt for the same right credentials, case-insensitive scheme.
        #expect(status("basic " + Data("alice:correct horse".utf8).base64EncodedString()).status == 200)
        #expect(gate.bcryptRuns.load(ordering: .relaxed) == 2)
        // A wrong password never hits the cache, however close; nor does another user with alice's password.
        #expect(status(Self.basic("alice", "correct horsE")).status == 401)
        #expect(status(Self.basic("bob", "correct horse")).status == 401)
        #expect(gate.bcryptRuns.load(ordering: .relaxed) == 4)
        // Unknown users pay for bcrypt too (no enumeration by timing), and fail even with a known password.
        #expect(status(Self.basic("mallory", "correct horse")).status == 401)
        #expect(gate.bcryptRuns.load(ordering: .relaxed) == 5)
        // Passwords may hold colons and non-ASCII.
        #expect(status(Self.basic("bob", "pa:ss wörd")).status == 200)
    }

    @Test func withoutUsersOnlyHeadersApply() {
        let gate = WebGate(config: WebConfig(headers: [.init("X-Frame-Options", "deny")]))
        let response = gate.handle(HTTPRequest(method: "GET", target: "/")) { _ in .text(200, "page") }
        #expect(response.status == 200)
        #expect(response.headers.contains { $0 == ("X-Frame-Options", "deny") })
    }
}
