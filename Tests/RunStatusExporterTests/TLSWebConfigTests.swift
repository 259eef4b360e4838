import ChildProcesses
import Foundation
import Glibc
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing
import TLS
@testable import Configuration
@testable import RunStatusExporter
@testable import Serving

/// `tls_server_config` in the web config: exporter-toolkit's keys parsed and refused like the rest, and the real
/// exporter serving HTTPS and mutual TLS, with `healthcheck` reading the same file.
@Suite(.timeLimit(.minutes(2)))
struct TLSWebConfigTests {
    @Test func parsesExporterToolkitKeysAndResolvesFilesNextToTheWebConfig() throws {
        let json = """
        {"tls_server_config": {
           "cert_file": "certs/server.pem", "key_file": "/etc/keys/server.key",
           "client_auth_type": "RequireAndVerifyClientCert", "client_ca_file": "ca.pem",
           "client_allowed_sans": ["prometheus.example", "10.0.0.1"],
           "min_version": "TLS13", "max_version": "TLS13",
           "cipher_suites": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256",
                             "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"],
           "curve_preferences": ["X25519", "CurveP256"],
           "prefer_server_cipher_suites": false}}
        """
        let config = try WebConfig.parse(Array(json.utf8), file: "/srv/exporter/web.json")
        let tls = try #require(config.tlsServer)
        #expect(tls.certificate == .file("/srv/exporter/certs/server.pem"))
        #expect(tls.privateKey == .file("/etc/keys/server.key"))
        #expect(tls.clientAuth == .requireAndVerifyClientCert)
        #expect(tls.clientCAFile == "/srv/exporter/ca.pem")
        #expect(tls.clientAllowedSANs == ["prometheus.example", "10.0.0.1"])
        #expect(tls.minVersion == .tls13 && tls.maxVersion == .tls13)
        #expect(tls.cipherSuites == ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"])
        #expect(tls.curves == ["X25519", "P-256"])
        #expect(tls.preferServerCipherSuites == false)

        let inline = try WebConfig.parse(Array(#"{"tls_server_config": {"cert": "PEM-CERT", "key": "PEM-KEY"}}"#.utf8), file: "w.json")
        #expect(inline.tlsServer?.certificate == .inline("PEM-CERT"))
        #expect(inline.tlsServer?.minVersion == .tls12)
        #expect(inline.tlsServer?.clientAuth == .noClientCert)
        // As in exporter-toolkit, a TLS section naming no certificate serves plain HTTP.
        #expect(try WebConfig.parse(Array(#"{"tls_server_config": {"cert_file": ""}}"#.utf8), file: "w.json").tlsServer == nil)
    }

    @Test func refusesWhatCannotWorkNamingTheKeyAndNeverTheInlineKey() {
        let json = """
        {"tls_server_config": {"cert_file": "a.pem", "cert": "PEM", "key": "SECRET-KEY-TEXT",
           "client_auth_type": "NoClientCert", "client_ca_file": "ca.pem", "client_allowed_sans": ["x"],
           "min_version": "TLS13", "max_version": "TLS12", "cipher_suites": ["TLS_RSA_WITH_RC4_128_SHA"],
           "curve_preferences": ["CurveP224"], "client_ca": "PEM"}}
        """
        do {
            _ = try WebConfig.parse(Array(json.utf8), file: "web.json")
            Issue.record("accepted an invalid tls_server_config")
        } catch {
            let expected = [
                "web.json: tls_server_config.cert: set cert_file or cert, not both",
                "web.json: tls_server_config.client_ca_file: set, but client_auth_type asks for no client certificate",
                "web.json: tls_server_config.client_allowed_sans: needs client_auth_type RequireAndVerifyClientCert",
                "web.json: tls_server_config.min_version: TLS13 is above max_version TLS12",
                "web.json: tls_server_config.cipher_suites: \"TLS_RSA_WITH_RC4_128_SHA\" is not a cipher suite",
                "web.json: tls_server_config.curve_preferences: \"CurveP224\" is not one of",
                "web.json: tls_server_config.client_ca: unknown key",
            ]
            #expect(error.lines.count == expected.count, "\(error.lines)")
            for prefix in expected { #expect(error.lines.contains { $0.hasPrefix(prefix) }, "missing: \(prefix)\n\(error.lines)") }
            #expect(!error.description.contains("SECRET-KEY-TEXT"))
        }
        let verifyWithoutCA = #"{"tls_server_config": {"cert_file": "a", "key_file": "b", "client_auth_type": "VerifyClientCertIfGiven"}}"#
        #expect { try WebConfig.parse(Array(verifyWithoutCA.utf8), file: "w") } throws: { error in
            "\(error)".contains("w: tls_server_config.client_ca_file: missing")
        }
    }

    @Test(.requires(.exporter, .openssl, .curl))
    func exporterServesHTTPSWithBasicAuthAndHealthcheckReadsTheSameWebConfig() async throws {
        let certificates = try await TestCertificates.make()
        try await LifecycleTests.withScratch { directory in
            try directory.write("web.json", """
            {"basic_auth_users": {"prometheus": "\(ConfigExamples.aliceHash)"},
             "tls_server_config": {"cert_file": "\(certificates.serverCertificate)", "key_file": "\(certificates.serverKey)"}}
            """)
            let web = directory.file("web.json")
            let exporter = try await LifecycleTests.Exporter.start(["--demo", "--web.config.file=\(web)"], in: directory)
            defer { Task { await exporter.child.kill() } }
            #expect(exporter.child.output.contains("tls=on"))
            let url = "https://127.0.0.1:\(exporter.port)/metrics"
            let scrape = try await curl(["--cacert", certificates.caCertificate, "-u", "prometheus:correct horse", url])
            #expect(scrape.status == 0, "\(scrape.output)")
            #expect(scrape.output.contains("runstatus_build_info"))
            #expect(scrape.output.hasSuffix(" 200 1.1\n"))
            let noPassword = try await curl(["--cacert", certificates.caCertificate, url])
            #expect(noPassword.output.hasSuffix(" 401 1.1\n"), "\(noPassword.output)")
            let plain = try await curl(["http://127.0.0.1:\(exporter.port)/metrics"])
            #expect(plain.status != 0, "plain HTTP on the TLS port: \(plain.output)")

            let probe = try await SpawnedProcess.run(Program.exporter.path!, ["healthcheck", "--web.listen-address=127.0.0.1:\(exporter.port)",
                                                                        "--web.config.file=\(web)"])
            #expect(probe.status == 0, "\(probe.output)")
            // Without the web config the probe speaks plain HTTP, which the TLS port does not answer.
            let plainProbe = try await SpawnedProcess.run(Program.exporter.path!, ["healthcheck", "--web.listen-address=127.0.0.1:\(exporter.port)"])
            #expect(plainProbe.status == 1, "\(plainProbe.output)")
            #expect(!exporter.child.output.contains("correct horse"))
        }
    }

    /// Scrapers that close their connections while responses are on their way (as wrk does when it stops): the send
    /// then meets a broken pipe, which must cost the connection, not end the exporter.
    @Test(.requires(.exporter, .openssl))
    func scrapersLeavingMidResponseDoNotStopTheExporter() async throws {
        let certificates = try await TestCertificates.make()
        try await LifecycleTests.withScratch { directory in
            try directory.write("web.json", """
            {"tls_server_config": {"cert_file": "\(certificates.serverCertificate)", "key_file": "\(certificates.serverKey)"}}
            """)
            let web = directory.file("web.json")
            let exporter = try await LifecycleTests.Exporter.start(["--demo", "--web.config.file=\(web)"], in: directory)
            defer { Task { await exporter.child.kill() } }
            let port = exporter.port
            for _ in 0..<8 {
                if let status = exporter.child.exitStatus {
                    Issue.record("the exporter ended with status \(status) (141: SIGPIPE)")
                    return
                }
                try await onThread {
                    let client = try TestClient.connectNow(port: port)
                    defer { client.close() }
                    let session = try TLSClientContext().session(fd: client.fd, serverName: nil)
                    guard session.handshake() == .done(0) else { throw TestFailure("handshake failed") }
                    // More responses than socket buffers hold; only the first bytes are read.
                    let requests = Array(String(repeating: "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", count: 40).utf8)
                    _ = requests.withUnsafeBytes { session.write($0) }
                    var chunk = [UInt8](repeating: 0, count: 4096)
                    _ = chunk.withUnsafeMutableBytes { session.read(into: $0) }
                }
                // Closed with the rest unread: the peer answers the server's next bytes with a reset, and the write
                // after that meets a broken pipe.
            }
            let probe = try await SpawnedProcess.run(Program.exporter.path!, ["healthcheck", "--web.listen-address=127.0.0.1:\(port)",
                                                                        "--web.config.file=\(web)"])
            #expect(probe.status == 0, "\(probe.output)")
            #expect(exporter.child.exitStatus == nil, "the exporter ended:\n\(exporter.child.logTail())")
        }
    }

    /// The probe presents the server's own certificate: accepted where the client CA trusts it (200), refused by an
    /// alert where it does not (alive as well); either way a scraper without a certificate is refused.
    @Test(.requires(.exporter, .openssl, .curl), arguments: ["ca.pem", "rogue-ca.pem"])
    func healthcheckWorksWithMutualTLS(clientCA: String) async throws {
        let certificates = try await TestCertificates.make()
        try await LifecycleTests.withScratch { directory in
            try directory.write("web.json", """
            {"tls_server_config": {"cert_file": "\(certificates.serverCertificate)", "key_file": "\(certificates.serverKey)",
               "client_auth_type": "RequireAndVerifyClientCert", "client_ca_file": "\(certificates.path(clientCA))"}}
            """)
            let web = directory.file("web.json")
            let exporter = try await LifecycleTests.Exporter.start(["--demo", "--web.config.file=\(web)"], in: directory)
            defer { Task { await exporter.child.kill() } }
            let url = "https://127.0.0.1:\(exporter.port)/-/healthy"
            let anonymous = try await curl(["--cacert", certificates.caCertificate, url])
            #expect(anonymous.status != 0, "\(anonymous.output)")
            let probe = try await SpawnedProcess.run(Program.exporter.path!, ["healthcheck", "--web.listen-address=127.0.0.1:\(exporter.port)",
                                                                        "--web.config.file=\(web)"])
            #expect(probe.status == 0, "\(probe.output)")
            if clientCA == "ca.pem" {
                let client = try await curl(["--cacert", certificates.caCertificate, "--cert", certificates.clientCertificate,
                                             "--key", certificates.clientKey, url])
                #expect(client.output.hasSuffix(" 200 1.1\n"), "\(client.output)")
            }
            // Nothing listening: the probe fails, TLS or not.
            let nobody = try LoopbackPort.free()
            let down = try await SpawnedProcess.run(Program.exporter.path!, ["healthcheck", "--web.listen-address=127.0.0.1:\(nobody)",
                                                                       "--web.config.file=\(web)"])
            #expect(down.status == 1 && down.output.contains("https://127.0.0.1:\(nobody)/-/healthy answered nothing"),
                    "\(down.output)")
        }
    }

    @Test(.requires(.exporter, .openssl))
    func aKeyThatDoesNotMatchItsCertificateStopsTheStartWithExitTwo() async throws {
        let certificates = try await TestCertificates.make()
        try await LifecycleTests.withScratch { directory in
            try directory.write("web.json", """
            {"tls_server_config": {"cert_file": "\(certificates.serverCertificate)", "key_file": "\(certificates.clientKey)"}}
            """)
            let web = directory.file("web.json")
            let result = try await SpawnedProcess.run(Program.exporter.path!, ["--demo", "--web.config.file=\(web)"])
            #expect(result.status == 2)
            #expect(result.output.contains("\(web): tls_server_config.key_file: the private key does not match the certificate"),
                    "\(result.output)")
        }
    }

    /// A real Prometheus scraping over HTTPS with `tls_config` (the CA, a client certificate for mutual TLS) sees
    /// its target up and the exporter's series.
    @Test(.requires(.exporter, .openssl, .prometheus), .timeLimit(.minutes(2)))
    func livePrometheusScrapesOverMutualTLS() async throws {
        let certificates = try await TestCertificates.make()
        try await LifecycleTests.withScratch { directory in
            try directory.write("web.json", """
            {"tls_server_config": {"cert_file": "\(certificates.serverCertificate)", "key_file": "\(certificates.serverKey)",
               "client_auth_type": "RequireAndVerifyClientCert", "client_ca_file": "\(certificates.caCertificate)",
               "client_allowed_sans": ["prometheus.example"]}}
            """)
            let exporter = try await LifecycleTests.Exporter.start(["--demo", "--web.config.file=\(directory.file("web.json"))"],
                                                                   in: directory)
            defer { Task { await exporter.child.kill() } }
            let prometheusPort = try LoopbackPort.free()
            try directory.write("prometheus.yml", """
            global: {scrape_interval: 1s, scrape_timeout: 1s}
            scrape_configs:
              - job_name: runstatus
                scheme: https
                tls_config:
                  ca_file: \(certificates.caCertificate)
                  cert_file: \(certificates.clientCertificate)
                  key_file: \(certificates.clientKey)
                static_configs: [{targets: ["127.0.0.1:\(exporter.port)"]}]
            """)
            let prometheus = try SpawnedProcess(Program.prometheus.path!, [
                "--config.file=\(directory.file("prometheus.yml"))", "--storage.tsdb.path=\(directory.file("data"))",
                "--web.listen-address=127.0.0.1:\(prometheusPort)", "--log.level=warn",
            ], name: "prometheus", logDirectory: directory.url)
            defer { Task { await prometheus.kill() } }
            let deadline = ContinuousClock.now + .seconds(60)
            var up = false, series = false
            while ContinuousClock.now < deadline && !(up && series) {
                if let status = prometheus.exitStatus { Issue.record("prometheus exited \(status): \(prometheus.logTail())"); return }
                up = await Self.instantValue(port: prometheusPort, query: #"up{job="runstatus"}"#) == "1"
                series = await Self.instantValue(port: prometheusPort, query: #"count(runstatus_build_info{job="runstatus"})"#) == "1"
                if !(up && series) { try await Task.sleep(for: .milliseconds(500)) }
            }
            #expect(up && series, "target not up over mutual TLS\n\(prometheus.logTail())")
        }
    }

    /// The first sample's value of an instant query, nil when there is none (yet).
    static func instantValue(port: UInt16, query: String) async -> String? {
        var components = URLComponents(string: "http://127.0.0.1:\(port)/api/v1/query")!
        components.queryItems = [URLQueryItem(name: "query", value: query)]
        guard let (data, _) = try? await URLSession.shared.data(from: components.url!),
              let answer = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let result = (answer["data"] as? [String: Any])?["result"] as? [[String: Any]],
              let value = result.first?["value"] as? [Any], value.count == 2 else { return nil }
        return value[1] as? String
    }

    /// curl's exit status, and the body followed by ` STATUS VERSION`.
    func curl(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await SpawnedProcess.run(try Program.curl.require(), ["-sS", "--max-time", "10", "-w", " %{http_code} %{http_version}\n"]
                                     + arguments, timeout: .seconds(20))
    }
}
