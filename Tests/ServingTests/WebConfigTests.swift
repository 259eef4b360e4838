import Foundation
import HTTPServer
import TestSupport
import Testing
@testable import Configuration
@testable import Serving

/// `--web.config.file`: parsing, bcrypt through libcrypt, basic auth with its cache, response headers.
@Suite struct WebConfigTests {
    /// Low costs keep the tests fast (alice's, cost 4, is `ConfigExamples.aliceHash`); real configs use 10 or more.
    static let bobHash = "$2y$05$ABCDEFGHIJKLMNOPQRSTUuErBegoPIq8.pZAo3jsXJ/guhPzrPemW"  // "pa:ss wörd"

    @Test func bcryptAgreesWithKnownVectors() {
        // jBCrypt's published test vectors, and the $2b$/$2y$ spellings htpasswd and Go write.
        #expect(Bcrypt.verify(password: Array("abc".utf8), hash: "$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i"))
        #expect(Bcrypt.verify(password: [], hash: "$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s."))
        #expect(!Bcrypt.verify(password: Array("abd".utf8), hash: "$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i"))
        #expect(Bcrypt.verify(password: Array("correct horse".utf8), hash: ConfigExamples.aliceHash))
        #expect(Bcrypt.verify(password: Array("pa:ss wörd".utf8), hash: Self.bobHash))
        #expect(!Bcrypt.verify(password: Array("correct horse\u{0}".utf8), hash: ConfigExamples.aliceHash))
        #expect(!Bcrypt.verify(password: Array("x".utf8), hash: "$1$not-bcrypt"))
        #expect(Bcrypt.isWellFormed(ConfigExamples.aliceHash) && Bcrypt.isWellFormed(Self.bobHash))
        #expect(!Bcrypt.isWellFormed("$2b$03$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e"))
        #expect(!Bcrypt.isWellFormed("$2x$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e"))
        #expect(!Bcrypt.isWellFormed(String(ConfigExamples.aliceHash.dropLast())))
        #expect(Bcrypt.constantTimeEquals([1, 2, 3], [1, 2, 3]) && !Bcrypt.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!Bcrypt.constantTimeEquals([1, 2], [1, 2, 3]))
    }

    @Test func bcryptMakesHashesAtAGivenCost() throws {
        let hash = try #require(Bcrypt.hash(password: Array("s3cret".utf8), cost: 5))
        #expect(hash.hasPrefix("$2b$05$") && Bcrypt.isWellFormed(hash))
        #expect(Bcrypt.verify(password: Array("s3cret".utf8), hash: hash))
        #expect(!Bcrypt.verify(password: Array("s3creT".utf8), hash: hash))
        // Salted: the same password never gives the same hash twice.
        #expect(Bcrypt.hash(password: Array("s3cret".utf8), cost: 5) != hash)
        #expect(Bcrypt.cost(of: hash) == 5 && Bcrypt.cost(of: Self.bobHash) == 5 && Bcrypt.cost(of: ConfigExamples.aliceHash) == 4)
        #expect(Bcrypt.cost(of: "$1$not-bcrypt") == nil)
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
        {"basic_auth_users": {"alice": "\(ConfigExamples.aliceHash)", "bob": "\(Self.bobHash)"},
         "http_server_config": {"http2": true, "headers": {"x-frame-options": "DENY",
                                "Content-Security-Policy": "default-src 'none'"}}}
        """
        let config = try WebConfig.parse(Array(json.utf8), file: "web.json")
        #expect(config.basicAuthUsers == ["alice": ConfigExamples.aliceHash, "bob": Self.bobHash])
        #expect(config.headers == [.init("X-Frame-Options", "DENY"), .init("Content-Security-Policy", "default-src 'none'")])
        #expect(try WebConfig.parse(Array("{}".utf8), file: "w") == WebConfig())
    }

    @Test func reportsEveryProblemWithItsPath() {
        let json = """
        {"basic_auth_users": {"alice": "plaintext-secret", "": "\(ConfigExamples.aliceHash)", "a:b": "\(ConfigExamples.aliceHash)", "carol": 7},
         "http_server_config": {"headers": {"X-Frame-Options": "allow", "Server": "x", "X-XSS-Protection": 1},
                                "http2": "yes", "idle_timeout": 3},
         "tls_server_config": {"cert_file": "a.pem", "client_auth_type": "Always", "ocsp_stapling": true},
         "basic_auth": {}}
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
                "web.json: tls_server_config.key_file: missing",
                "web.json: tls_server_config.client_auth_type: must be one of: NoClientCert, RequestClientCert",
                "web.json: tls_server_config.ocsp_stapling: unknown key",
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
        let gate = WebGate(config: WebConfig(basicAuthUsers: ["alice": ConfigExamples.aliceHash, "bob": Self.bobHash],
                                             headers: [.init("X-Content-Type-Options", "nosniff")]))
        func status(_ authorization: String?) -> HTTPResponse {
            var request = HTTPRequest(method: "GET", target: "/metrics")
            if let authorization { request.headers.append(("Authorization", authorization)) }
            return gate.serve(request) { _ in .text(200, "metrics") }
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

        #expect(status(ConfigExamples.basic("alice", "wrong")).status == 401)
        #expect(gate.bcryptRuns.load(ordering: .relaxed) == 1)
        let ok = status(ConfigExamples.basic("alice", "correct horse"))
        #expect(ok.status == 200 && ok.body == Array("metrics".utf8))
        #expect(ok.headers.contains { $0 == ("X-Content-Type-Options", "nosniff") })
        #expect(gate.bcryptRuns.load(ordering: .relaxed) == 2)
        // Cached: no bcrypt for the same right credentials, case-insensitive scheme.
        #expect(status("basic " + Data("alice:correct horse".utf8).base64EncodedString()).status == 200)
        #expect(gate.bcryptRuns.load(ordering: .relaxed) == 2)
        // A wrong password never hits the cache, however close; nor does another user with alice's password.
        #expect(status(ConfigExamples.basic("alice", "correct horsE")).status == 401)
        #expect(status(ConfigExamples.basic("bob", "correct horse")).status == 401)
        #expect(gate.bcryptRuns.load(ordering: .relaxed) == 4)
        // Unknown users pay for bcrypt too (no enumeration by timing), and fail even with a known password.
        #expect(status(ConfigExamples.basic("mallory", "correct horse")).status == 401)
        #expect(gate.bcryptRuns.load(ordering: .relaxed) == 5)
        // Passwords may hold colons and non-ASCII.
        #expect(status(ConfigExamples.basic("bob", "pa:ss wörd")).status == 200)
    }

    @Test func routeKeepsBcryptOffTheWorkersAndAnswersWithoutCredentialsAtOnce() throws {
        let gate = WebGate(config: WebConfig(basicAuthUsers: ["alice": ConfigExamples.aliceHash],
                                             headers: [.init("X-Frame-Options", "deny")]))
        let next: HTTPServer.Handler = { _ in .text(200, "metrics") }
        func request(_ authorization: String?, from address: String = "127.0.0.1") -> HTTPRequest {
            var request = HTTPRequest(method: "GET", target: "/metrics", remoteAddress: address)
            if let authorization { request.headers.append(("Authorization", authorization)) }
            return request
        }
        // No or unusable credentials: a 401 from the event loop itself, no worker, no bcrypt.
        for authorization in [nil, "Bearer x", "Basic !!!"] {
            guard case .respond(let response) = gate.route(request(authorization), next: next) else {
                Issue.record("\(authorization ?? "none"): not answered at once")
                continue
            }
            #expect(response.status == 401 && response.notBefore == nil)
            #expect(response.headers.contains { $0 == ("X-Frame-Options", "deny") })
        }
        // Credentials not verified yet: the slow lane; once verified: the workers, which never run bcrypt.
        let good = request(ConfigExamples.basic("alice", "correct horse"))
        guard case .slowLane(let check) = gate.route(good, next: next) else {
            Issue.record("unverified credentials not sent to the slow lane")
            return
        }
        #expect(gate.handle(good, next: next).status == 503)
        #expect(gate.bcryptRuns.load(ordering: .relaxed) == 0)
        #expect(check(good).status == 200)
        guard case .workers = gate.route(good, next: next) else {
            Issue.record("verified credentials not sent to the workers")
            return
        }
        #expect(gate.handle(good, next: next).status == 200)
        #expect(gate.bcryptRuns.load(ordering: .relaxed) == 1)
        // A wrong password: the slow lane, and its 401 is held until the floor (a check at the highest cost).
        let wrong = request(ConfigExamples.basic("alice", "wrong"))
        guard case .slowLane(let failing) = gate.route(wrong, next: next) else {
            Issue.record("a wrong password not sent to the slow lane")
            return
        }
        let before = ContinuousClock.now
        let denied = failing(wrong)
        #expect(denied.status == 401 && denied.notBefore.map { $0 > before } == true)
    }

    @Test func failedChecksPastTheBudgetAre429AndAFullSlowLaneIs503() {
        let gate = WebGate(config: WebConfig(basicAuthUsers: ["alice": ConfigExamples.aliceHash],
                                             headers: [.init("X-Frame-Options", "deny")]),
                           throttle: .init(burst: 3, refill: .seconds(6), maxClients: 16))
        let next: HTTPServer.Handler = { _ in .text(200, "metrics") }
        func route(_ password: String, from address: String) -> HTTPRoute {
            gate.route(HTTPRequest(method: "GET", target: "/metrics", headers: [("Authorization", ConfigExamples.basic("alice", password))],
                                   remoteAddress: address), next: next)
        }
        func run(_ route: HTTPRoute, _ password: String, from address: String) -> HTTPResponse? {
            guard case .slowLane(let handler) = route else { return nil }
            return handler(HTTPRequest(method: "GET", target: "/metrics", headers: [("Authorization", ConfigExamples.basic("alice", password))],
                                       remoteAddress: address))
        }
        for attempt in 0..<3 { #expect(run(route("guess\(attempt)", from: "127.0.0.2"), "guess\(attempt)", from: "127.0.0.2")?.status == 401) }
        guard case .respond(let refused) = route("guess", from: "127.0.0.2") else {
            Issue.record("a fourth failure from the same address was checked")
            return
        }
        #expect(refused.status == 429)
        #expect(refused.headers.contains { $0 == ("Retry-After", "6") })
        #expect(refused.headers.contains { $0 == ("X-Frame-Options", "deny") })
        #expect(refused.notBefore != nil)  // held by the loop, so a client retrying at once is slowed for free
        #expect(gate.bcryptRuns.load(ordering: .relaxed) == 3)
        // Another address, even the right password's, is not touched by that budget.
        #expect(run(route("correct horse", from: "127.0.0.1"), "correct horse", from: "127.0.0.1")?.status == 200)

        // The slow lane holds at most `maxPendingChecks`: admitted checks not yet run fill it, then 503.
        var pending: [HTTPRoute] = []
        for index in 0..<WebGate.maxPendingChecks {
            let route = route("x", from: "10.0.0.\(index)")
            guard case .slowLane = route else { Issue.record("check \(index) refused"); return }
            pending.append(route)
        }
        guard case .respond(let busy) = route("x", from: "10.0.1.1") else {
            Issue.record("a check past the slow lane's bound was queued")
            return
        }
        #expect(busy.status == 503 && busy.headers.contains { $0 == ("Retry-After", "1") })
        // Each answered check makes room again.
        #expect(run(pending.removeFirst(), "x", from: "10.0.0.0")?.status == 401)
        guard case .slowLane = route("x", from: "10.0.1.1") else {
            Issue.record("no room after a check was answered")
            return
        }
    }

    /// `--web.config.file` naming a directory says so, as the config loader does.
    @Test func aWebConfigPathThatIsADirectorySaysSo() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        do { _ = try WebConfig.load(path: directory.url.path); Issue.record("a directory loaded as a web config") } catch {
            #expect(error.lines == ["\(directory.url.path): is a directory, not a config file; give the path of the JSON file"])
        }
    }

    @Test func withoutUsersOnlyHeadersApply() {
        let gate = WebGate(config: WebConfig(headers: [.init("X-Frame-Options", "deny")]))
        let response = gate.handle(HTTPRequest(method: "GET", target: "/")) { _ in .text(200, "page") }
        #expect(response.status == 200)
        #expect(response.headers.contains { $0 == ("X-Frame-Options", "deny") })
    }
}

extension WebGate {
    /// What the listener does with `route`'s answer, on the calling thread.
    func serve(_ request: HTTPRequest, next: @escaping HTTPServer.Handler) -> HTTPResponse {
        switch route(request, next: next) {
        case .workers: handle(request, next: next)
        case .slowLane(let handler): handler(request)
        case .respond(let response): response
        }
    }
}
