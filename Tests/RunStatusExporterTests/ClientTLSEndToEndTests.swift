import Demo
import Foundation
import HTTPServer
import RunStatusModel
import TLS
import TestSupport
import Testing
import VendorSimulator
@testable import Configuration
@testable import CurlTransport
@testable import Polling
@testable import RunStore

/// The simulator serves HTTPS with the test CA; the five vendors are polled through the whole chain (libcurl
/// fetcher, adapters, poller, store) with `tls_config.ca_file`, then with a CA that did not sign its certificate.
@Suite(.requires(.openssl), .timeLimit(.minutes(1))) struct ClientTLSEndToEndTests {
    @Test func theSimulatorOverHTTPSIsPolledWithCAFileAndTheWrongCAIsCountedAsCertificate() async throws {
        let certificates = try await TestCertificates.make()
        let simulator = VendorSimulator(scenario: .demo(startingAt: Date().timeIntervalSince1970 - 600))
        let context = try TLSServerContext(settings: TLSServerSettings(certificate: .file(certificates.serverCertificate),
                                                                       privateKey: .file(certificates.serverKey)))
        let server = try simulator.serve(tls: context)
        let base = DemoMode.config(for: simulator.scenario, baseURL: "https://localhost:\(server.port)")
        #expect(base.targets.count == 5)
        for (ca, wanted) in [(certificates.caCertificate, [String: UInt64]()),
                             (certificates.path("rogue-ca.pem"), ["certificate": 1])] {
            var config = base
            for i in config.targets.indices { config.targets[i].client.tls.caFile = ca }
            let store = MetricsStore(config: config)
            let poller = Poller(store: store, fetcher: CurlFetcher(), logger: LogCapture().logger)
            for target in config.targets {
                _ = await poller.cycle(target, config: config, limiter: ConcurrencyLimiter(limit: 1))
            }
            for (i, entry) in store.snapshot().targets.enumerated() {
                var counted: [String: UInt64] = [:]
                for (r, reason) in PollErrorReason.allCases.enumerated() where entry.errors[r] > 0 {
                    counted[reason.rawValue] = min(entry.errors[r], 1)
                }
                // The demo scenario holds one RSA run the vendor answers 404 for, on purpose.
                let expected = wanted.isEmpty && config.targets[i].vendor == .rsa ? ["not_found": 1] : wanted
                #expect(counted == expected, "\(config.targets[i].name) with \(ca)")
                #expect(entry.up == wanted.isEmpty, "\(config.targets[i].name)")
            }
        }
        #expect(simulator.requestCount > 0)
        await server.shutdown()
    }
}
