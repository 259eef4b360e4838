import Configuration
import Foundation
import HTTPServer
import RunStatusModel
import Synchronization
import TLS
import TestSupport
import Testing
@testable import CurlTransport
@testable import Polling

/// `tls_config` and `proxy_url` against loopback HTTPS servers made with the test CA, and a loopback proxy.
@Suite(.requires(.openssl), .timeLimit(.minutes(1))) struct CurlFetcherClientTests {
    /// An HTTPS server answering with the Host header it saw.
    static func httpsServer(_ certificates: TestCertificates, _ adjust: (inout TLSServerSettings) -> Void = { _ in })
        throws -> (HTTPServer, UInt16) {
        var settings = TLSServerSettings(certificate: .file(certificates.serverCertificate), privateKey: .file(certificates.serverKey))
        adjust(&settings)
        var configuration = HTTPServerConfiguration()
        configuration.tls = try TLSServerContext(settings: settings)
        let server = HTTPServer(configuration: configuration) { request in
            HTTPResponse(status: 200, headers: [(name: "X-Host", value: request.header("host") ?? "-")], body: Array("secure".utf8))
        }
        return (server, try server.start())
    }

    static func get(_ url: String, _ client: ClientConfig, fetcher: CurlFetcher = CurlFetcher()) async -> Result<VendorResponse, PollError> {
        await fetcher.get(URL(string: url)!, headers: [:], timeout: 10, maxBodyBytes: 1024, client: client)
    }

    static func tls(_ tls: TLSClientConfig) -> ClientConfig { ClientConfig(tls: tls) }

    @Test func caFileTrustsTheVendorAndWithoutItOrWithTheWrongCATheReasonIsCertificate() async throws {
        let certificates = try await TestCertificates.make()
        let (server, port) = try Self.httpsServer(certificates)
        let url = "https://localhost:\(port)/runs/1"
        let trusted = await Self.get(url, Self.tls(TLSClientConfig(caFile: certificates.caCertificate)))
        #expect(try trusted.get().body == Array("secure".utf8))
        for client in [ClientConfig(), Self.tls(TLSClientConfig(caFile: certificates.path("rogue-ca.pem")))] {
            let error = try #require(await Self.get(url, client).error)
            #expect(error.reason == .certificate, "\(error)")
            #expect(error.message.contains("tls_config.ca_file"), "\(error)")
            #expect(error.reason.meansDown)
        }
        await server.shutdown()
    }

    @Test func insecureSkipVerifyAcceptsAnUnknownCA() async throws {
        let certificates = try await TestCertificates.make()
        let (server, port) = try Self.httpsServer(certificates)
        let result = await Self.get("https://localhost:\(port)/", Self.tls(TLSClientConfig(insecureSkipVerify: true)))
        #expect(try result.get().status == 200)
        await server.shutdown()
    }

    @Test func serverNameIsWhatTheCertificateIsCheckedAgainstWhileHostStaysTheURLs() async throws {
        let certificates = try await TestCertificates.make()
        let (server, port) = try Self.httpsServer(certificates)
        // The certificate names localhost and 127.0.0.1: a server_name it does not carry fails even at 127.0.0.1.
        let named = await Self.get("https://127.0.0.1:\(port)/", Self.tls(TLSClientConfig(caFile: certificates.caCertificate,
                                                                                         serverName: "localhost")))
        #expect(try named.get().headers["x-host"] == "127.0.0.1:\(port)")
        let wrong = await Self.get("https://127.0.0.1:\(port)/", Self.tls(TLSClientConfig(caFile: certificates.caCertificate,
                                                                                         serverName: "vendor.example")))
        #expect(wrong.error?.reason == .certificate, "\(String(describing: wrong.error))")
        await server.shutdown()
    }

    @Test func mutualTLSWithCertFileAndKeyFile() async throws {
        let certificates = try await TestCertificates.make()
        let (server, port) = try Self.httpsServer(certificates) {
            $0.clientAuth = .requireAndVerifyClientCert
            $0.clientCAFile = certificates.caCertificate
        }
        let url = "https://localhost:\(port)/"
        let anonymous = await Self.get(url, Self.tls(TLSClientConfig(caFile: certificates.caCertificate)))
        #expect(anonymous.error != nil)
        let withCertificate = await Self.get(url, Self.tls(TLSClientConfig(caFile: certificates.caCertificate,
                                                                           certFile: certificates.clientCertificate,
                                                                           keyFile: certificates.clientKey)))
        #expect(try withCertificate.get().status == 200)
        await server.shutdown()
    }

    @Test func minVersionAboveTheServersIsRefused() async throws {
        let certificates = try await TestCertificates.make()
        let (server, port) = try Self.httpsServer(certificates) { $0.maxVersion = .tls12 }
        let url = "https://localhost:\(port)/"
        #expect(try await Self.get(url, Self.tls(TLSClientConfig(caFile: certificates.caCertificate, minVersion: "TLS12"))).get().status == 200)
        let refused = await Self.get(url, Self.tls(TLSClientConfig(caFile: certificates.caCertificate, minVersion: "TLS13")))
        #expect(refused.error?.reason == .connection, "\(String(describing: refused.error))")
        await server.shutdown()
    }

    /// A rewritten ca_file takes effect at the next request, though the fetcher keeps connections alive.
    @Test func aChangedCAFileIsReadAgainAndNoKeptConnectionPinsTheOldOne() async throws {
        let certificates = try await TestCertificates.make()
        let (server, port) = try Self.httpsServer(certificates)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ca = directory.file("ca.pem")
        try FileManager.default.copyItem(atPath: certificates.caCertificate, toPath: ca)
        let fetcher = CurlFetcher()
        let client = Self.tls(TLSClientConfig(caFile: ca))
        let url = "https://localhost:\(port)/"
        #expect(try await Self.get(url, client, fetcher: fetcher).get().status == 200)
        #expect(try await Self.get(url, client, fetcher: fetcher).get().status == 200)
        #expect(server.counters.acceptedConnections == 1, "kept alive: \(server.counters)")
        try Data(contentsOf: URL(fileURLWithPath: certificates.path("rogue-ca.pem"))).write(to: URL(fileURLWithPath: ca))
        #expect(await Self.get(url, client, fetcher: fetcher).error?.reason == .certificate)
        try Data(contentsOf: URL(fileURLWithPath: certificates.caCertificate)).write(to: URL(fileURLWithPath: ca))
        #expect(try await Self.get(url, client, fetcher: fetcher).get().status == 200)
        await server.shutdown()
    }

    /// A plain-HTTP forward proxy on loopback: answers absolute-form requests itself and counts them.
    final class Proxy: Sendable {
        final class Seen: Sendable { let lines = Mutex<[String]>([]) }
        private let log = Seen()
        let server: HTTPServer
        let port: UInt16
        /// The Proxy-Authorization of each request it answered ("-" when none).
        var seen: [String] { log.lines.withLock { $0 } }

        init() throws {
            let log = log
            server = HTTPServer(configuration: HTTPServerConfiguration()) { request in
                log.lines.withLock { $0.append(request.header("proxy-authorization") ?? "-") }
                return HTTPResponse(status: 200, body: Array("via proxy".utf8))
            }
            port = try server.start()
        }
    }

    static func echo() throws -> (HTTPServer, UInt16) {
        let server = HTTPServer(configuration: HTTPServerConfiguration()) { _ in HTTPResponse(status: 200, body: Array("direct".utf8)) }
        return (server, try server.start())
    }

    @Test func proxyURLCarriesTheRequestAndNoProxyBypassesIt() async throws {
        let proxy = try Proxy()
        let (vendor, port) = try Self.echo()
        let url = "http://127.0.0.1:\(port)/runs/1"
        let proxied = await Self.get(url, ClientConfig(proxyURL: "http://user:pa55word@127.0.0.1:\(proxy.port)"))
        #expect(try proxied.get().body == Array("via proxy".utf8))
        #expect(proxy.seen == ["Basic " + Data("user:pa55word".utf8).base64EncodedString()])
        let bypassed = await Self.get(url, ClientConfig(proxyURL: "http://127.0.0.1:\(proxy.port)", noProxy: "127.0.0.1"))
        #expect(try bypassed.get().body == Array("direct".utf8))
        #expect(proxy.seen.count == 1)
        await proxy.server.shutdown()
        await vendor.shutdown()
    }
}
