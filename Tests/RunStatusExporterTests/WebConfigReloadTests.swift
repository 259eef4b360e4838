import ChildProcesses
import Foundation
import Glibc
import TestSupport
import Testing
import Synchronization
import TLS
@testable import RunStatusExporter

/// The real exporter applying a changed web config without a restart: users, a broken change kept out and
/// counted, a certificate rotated under a scrape loop.
@Suite(.timeLimit(.minutes(2)))
struct WebConfigReloadTests {
    /// Cost 5, "pa:ss wörd" (the same as `WebConfigTests.bobHash`).
    static let newHash = "$2y$05$ABCDEFGHIJKLMNOPQRSTUuErBegoPIq8.pZAo3jsXJ/guhPzrPemW"
    static let newPassword = "pa:ss wörd"

    @Test(.requires(.exporter))
    func aNewPasswordHashAppliesAndABrokenChangeKeepsTheLastGoodConfig() async throws {
        try await LifecycleTests.withScratch { directory in
            try directory.write("web.json", """
            {"basic_auth_users": {"prometheus": "\(ConfigExamples.aliceHash)"}}
            """)
            let web = directory.file("web.json")
            let exporter = try await LifecycleTests.Exporter.start(["--demo", "--web.config.file=\(web)"], in: directory)
            defer { Task { await exporter.child.kill() } }
            let old = [("Authorization", ConfigExamples.basic("prometheus", "correct horse"))]
            let new = [("Authorization", ConfigExamples.basic("prometheus", Self.newPassword))]
            func status(_ headers: [(String, String)]) async throws -> Int { try await exporter.get("/-/healthy", headers: headers).status }
            func metrics() async throws -> [String: Double] {
                let response = try await exporter.get("/metrics", headers: new)
                guard response.status == 200 else { throw TestFailure("/metrics answered \(response.status)") }
                return parseExposition(response.text)
            }
            #expect(try await status(old) == 200)
            #expect(try await status(new) == 401)

            try directory.write("web.json", """
            {"basic_auth_users": {"prometheus": "\(Self.newHash)"},
             "http_server_config": {"headers": {"X-Frame-Options": "deny"}}}
            """)
            // Waiting on the log, not on logins: failed ones would trip the login throttle (429).
            func reloads() -> Int { exporter.child.output.components(separatedBy: "msg=\"web configuration reloaded\"").count - 1 }
            #expect(await eventually { reloads() == 1 }, "\(exporter.child.logTail())")
            #expect(try await status(new) == 200)
            #expect(try await status(old) == 401)
            #expect(try await exporter.get("/-/healthy", headers: new).header("X-Frame-Options") == "deny")
            var m = try await metrics()
            #expect(m["runstatus_web_config_last_reload_successful"] == 1)
            #expect(m["runstatus_web_config_reloads_total{result=\"success\"}"] == 1)
            #expect(m["runstatus_web_config_reloads_total{result=\"failure\"}"] == 0)

            // Broken: the last good config stays, the failure is counted and logged without the hash.
            try directory.write("web.json", """
            {"basic_auth_users": {"prometheus": "\(ConfigExamples.aliceHash)", "bad": "not-a-hash"}}
            """)
            #expect(try await eventually { try await metrics()["runstatus_web_config_reloads_total{result=\"failure\"}"] == 1 },
                    "\(exporter.child.logTail())")
            m = try await metrics()
            #expect(m["runstatus_web_config_last_reload_successful"] == 0)
            #expect(try await status(new) == 200)
            #expect(try await status(old) == 401, "\(exporter.child.logTail())")
            #expect(exporter.child.output.contains("web configuration reload failed; keeping the previous one"))
            #expect(exporter.child.output.contains(#"basic_auth_users[\"bad\"]: is not a bcrypt hash"#), "\(exporter.child.logTail())")
            #expect(!exporter.child.output.contains(Self.newHash) && !exporter.child.output.contains(ConfigExamples.aliceHash))

            // Plain HTTP cannot become HTTPS on the open socket: refused, with the restart it needs.
            let certificates = try? await TestCertificates.make()
            if let certificates {
                try directory.write("web.json", """
                {"basic_auth_users": {"prometheus": "\(Self.newHash)"},
                 "tls_server_config": {"cert_file": "\(certificates.serverCertificate)", "key_file": "\(certificates.serverKey)"}}
                """)
                #expect(try await eventually { try await metrics()["runstatus_web_config_reloads_total{result=\"failure\"}"] == 2 },
                        "\(exporter.child.logTail())")
                #expect(exporter.child.output.contains("restart the exporter to switch its listener to HTTPS"))
                #expect(try await status(new) == 200, "still plain HTTP")
            } else {
                print("WebConfigReloadTests: openssl missing, the plain→TLS refusal is not checked")
            }

            // Fixed: applied again, and the gauge comes back.
            try directory.write("web.json", """
            {"basic_auth_users": {"prometheus": "\(ConfigExamples.aliceHash)"}}
            """)
            #expect(await eventually { reloads() == 2 }, "\(exporter.child.logTail())")
            #expect(try await status(old) == 200)
            #expect(try await status(new) == 401)
            let back = parseExposition(try await exporter.get("/metrics", headers: old).text)
            #expect(back["runstatus_web_config_last_reload_successful"] == 1)
            #expect(back["runstatus_web_config_reloads_total{result=\"success\"}"] == 2)
            #expect(exporter.child.exitStatus == nil)
        }
    }

    /// A renewed certificate written over the old one while scrapers poll over keep-alive and new connections:
    /// no scrape fails, a connection opened before keeps working, and new handshakes present the new certificate.
    @Test(.requires(.exporter, .openssl, .curl))
    func aRotatedCertificateReachesNewHandshakesWithoutFailingAScrape() async throws {
        let certificates = try await TestCertificates.make()
        let openssl = try Program.openssl.require()
        let curl = try Program.curl.require()
        try await LifecycleTests.withScratch { directory in
            let certificate = directory.file("server.pem")
            let key = directory.file("server.key")
            try FileManager.default.copyItem(atPath: certificates.serverCertificate, toPath: certificate)
            try FileManager.default.copyItem(atPath: certificates.serverKey, toPath: key)
            try directory.write("web.json", """
            {"tls_server_config": {"cert_file": "server.pem", "key_file": "server.key"}}
            """)
            let exporter = try await LifecycleTests.Exporter.start(["--demo", "--web.config.file=\(directory.file("web.json"))"],
                                                                   in: directory)
            defer { Task { await exporter.child.kill() } }
            let port = exporter.port

            func presented() async throws -> String {
                let result = try await SpawnedProcess.run(openssl, ["s_client", "-connect", "127.0.0.1:\(port)",
                                                                    "-CAfile", certificates.caCertificate, "-verify_return_error"],
                                                          input: [], timeout: .seconds(20))
                return result.output
            }
            let before = try await presented()
            #expect(before.contains("CN=server") || before.contains("CN = server"), "\(before)")
            #expect(!before.contains("server-renewed"))

            // A connection opened before the rotation, kept alive across it.
            let kept = try TestClient.connectNow(port: port)
            defer { kept.close() }
            let session = try UncheckedSession(TLSClientContext().session(fd: kept.fd, serverName: nil))
            #expect(await onThread { session.value.handshake() == .done(0) })
            #expect(try await onThread { try Self.healthy(on: session) })

            // Scrapers: each curl scrapes several times over one connection, then the next opens a new one.
            let lines = ScrapeLines()
            let url = "https://127.0.0.1:\(port)/metrics"
            let loop = Task {
                while !lines.stopped {
                    let result = try await SpawnedProcess.run(curl, ["-sS", "--max-time", "10", "--cacert", certificates.caCertificate,
                                                                     "-w", "%{http_code} %{num_connects}\n"]
                                                              + Array(repeating: ["-o", "/dev/null", url], count: 8).flatMap { $0 },
                                                              timeout: .seconds(20))
                    lines.append(result.output.split(separator: "\n").map(String.init)
                                 + (result.status == 0 ? [] : ["curl exited \(result.status)"]))
                }
            }
            #expect(await eventually { lines.count >= 8 }, "the scrape loop never got going")

            // Renewed: the same key, a new certificate (CN server-renewed) from the same CA, renamed into place.
            let renewed = directory.file("renewed.pem")
            try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: directory.file("renewed.ext"), atomically: true, encoding: .utf8)
            for arguments in [["req", "-new", "-key", key, "-subj", "/CN=server-renewed", "-out", directory.file("renewed.csr")],
                              ["x509", "-req", "-in", directory.file("renewed.csr"), "-CA", certificates.caCertificate,
                               "-CAkey", certificates.path("ca.key"), "-set_serial", "4242", "-days", "2",
                               "-extfile", directory.file("renewed.ext"), "-out", renewed]] {
                let result = try await SpawnedProcess.run(openssl, arguments)
                try #require(result.status == 0, "\(result.output)")
            }
            #expect(rename(renewed, certificate) == 0)

            let rotated = try await eventually { try await presented().contains("server-renewed") }
            #expect(rotated, "new handshakes never presented the renewed certificate:\n\(exporter.child.logTail())")
            let after = try await presented()
            #expect(after.contains("Verify return code: 0 (ok)"), "\(after)")
            #expect(try await onThread { try Self.healthy(on: session) }, "the connection opened before the rotation")
            // A few more rounds of the loop on the new certificate, then stop.
            let seen = lines.count
            #expect(await eventually { lines.count >= seen + 16 })
            lines.stop()
            try await loop.value
            let all = lines.all
            let failed = all.filter { !$0.hasPrefix("200 ") }
            #expect(failed.isEmpty, "\(failed.count) of \(all.count) scrapes failed: \(failed.prefix(5))")
            #expect(all.contains("200 0"), "no scrape reused its connection")
            #expect(exporter.child.output.contains("web configuration reloaded"))
            #expect(!exporter.child.output.contains("web configuration reload failed"), "\(exporter.child.logTail())")
        }
    }

    /// One request for `/-/healthy` on `session`, read until its body; true on "200 … Healthy".
    static func healthy(on session: UncheckedSession) throws -> Bool {
        let request = Array("GET /-/healthy HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        guard case .done = request.withUnsafeBytes({ session.value.write($0) }) else { throw TestFailure("write failed") }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: received, as: UTF8.self).contains("Healthy\n") {
            switch chunk.withUnsafeMutableBytes({ session.value.read(into: $0) }) {
            case .done(let count): received += chunk.prefix(count)
            case let other: throw TestFailure("read: \(other); got \(String(decoding: received, as: UTF8.self))")
            }
        }
        return String(decoding: received, as: UTF8.self).hasPrefix("HTTP/1.1 200 ")
    }
}

/// A TLS session used by one thread at a time: the test awaits each use.
final class UncheckedSession: @unchecked Sendable {
    let value: TLSSession
    init(_ value: TLSSession) { self.value = value }
}

/// What the scrape loop saw (`CODE NUM_CONNECTS` per scrape), and the test's word to stop it.
final class ScrapeLines: Sendable {
    private let state = Mutex<(lines: [String], stopped: Bool)>(([], false))
    var all: [String] { state.withLock { $0.lines } }
    var count: Int { state.withLock { $0.lines.count } }
    var stopped: Bool { state.withLock { $0.stopped } }
    func append(_ lines: [String]) { state.withLock { $0.lines += lines } }
    func stop() { state.withLock { $0.stopped = true } }
}
