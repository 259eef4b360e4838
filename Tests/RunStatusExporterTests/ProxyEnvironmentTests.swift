import Foundation
import HTTPServer
import Synchronization
import TestSupport
import Testing
import VendorSimulator

/// The built exporter with `HTTP_PROXY` and `HTTPS_PROXY` in its environment: ignored unless the target says
/// `proxy_from_environment`. The proxy is a loopback forward proxy that answers as the simulator would and counts.
@Suite(.requires(.exporter), .timeLimit(.minutes(2)))
struct ProxyEnvironmentTests {
    final class Count: Sendable { let value = Mutex(0) }

    @Test func theProxyEnvironmentIsIgnoredUnlessProxyFromEnvironment() async throws {
        let simulator = VendorSimulator(scenario: EndToEndTests.scenario(), now: { LifecycleTests.t0 + 1000 })
        let direct = try simulator.serve()
        defer { direct.stop() }
        let proxied = Count()
        // A forward proxy gets the absolute-form target, which HTTPServer reduces to its path.
        let proxy = HTTPServer(configuration: HTTPServerConfiguration()) { request in
            proxied.value.withLock { $0 += 1 }
            return simulator.handle(request)
        }
        let proxyPort = try proxy.start()
        defer { proxy.stop() }
        let environment = ["HTTP_PROXY": "http://127.0.0.1:\(proxyPort)", "http_proxy": "http://127.0.0.1:\(proxyPort)",
                           "HTTPS_PROXY": "http://127.0.0.1:\(proxyPort)", "ALL_PROXY": "http://127.0.0.1:\(proxyPort)",
                           "NO_PROXY": "", "no_proxy": ""]
        let rsa = "vendor=\"rsa\",target=\"rsa\""
        for fromEnvironment in [false, true] {
            try await LifecycleTests.withScratch { directory in
                var config = LifecycleTests.config(simulator: direct.port, rsaRuns: ["1001"], withNexio: false)
                if fromEnvironment {
                    config = config.replacingOccurrences(of: #""vendor": "rsa","#, with: #""vendor": "rsa", "proxy_from_environment": true,"#)
                }
                try directory.write("config.json", config)
                let before = proxied.value.withLock { $0 }
                let exporter = try await LifecycleTests.Exporter.start(["--config.file=\(directory.file("config.json"))"],
                                                                       in: directory, environment: environment)
                defer { Task { await exporter.child.kill() } }
                try await exporter.waitFor()
                try await exporter.eventually("rsa polled") { ($0["runstatus_polls_total{\(rsa)}"] ?? 0) >= 2 }
                let through = proxied.value.withLock { $0 } - before
                if fromEnvironment {
                    #expect(through >= 2, "every poll goes through the environment's proxy")
                } else {
                    #expect(through == 0, "the environment's proxy is ignored")
                }
                await exporter.child.kill()
            }
        }
    }
}
