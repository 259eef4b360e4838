import ChildProcesses
import Foundation
import HTTPServer
import Synchronization
import TestSupport
import Testing
import VendorSimulator

/// The built exporter with per-target client settings: the proxy environment, `proxy_url`'s password, the
/// `insecure_skip_verify` warnings. The proxy is a loopback forward proxy that answers as the simulator would and counts.
@Suite(.requires(.exporter), .timeLimit(.minutes(2)))
struct ClientSettingsProcessTests {
    final class Count: Sendable { let value = Mutex(0) }

    /// A forward proxy in front of `simulator`: it gets the absolute-form target, which HTTPServer reduces to its path.
    static func proxy(_ simulator: VendorSimulator, counting count: Count) throws -> (HTTPServer, UInt16) {
        let proxy = HTTPServer(configuration: HTTPServerConfiguration()) { request in
            count.value.withLock { $0 += 1 }
            return simulator.handle(request)
        }
        return (proxy, try proxy.start())
    }

    /// The simulator served directly and through a counting proxy, both stopped when `body` ends.
    static func withProxiedSimulator(
        _ body: (_ directPort: UInt16, _ proxyPort: UInt16, _ proxied: Count) async throws -> Void
    ) async throws {
        let simulator = VendorSimulator(scenario: EndToEndTests.scenario(), now: { LifecycleTests.t0 + 1000 })
        let direct = try simulator.serve()
        defer { direct.stop() }
        let proxied = Count()
        let (proxy, proxyPort) = try Self.proxy(simulator, counting: proxied)
        defer { proxy.stop() }
        try await body(direct.port, proxyPort, proxied)
    }

    @Test func proxyURLCarriesThePollsItsPasswordIsNeverShownAndInsecureSkipVerifyWarns() async throws {
        try await Self.withProxiedSimulator { directPort, proxyPort, proxied in
            let password = "pr0xy-secret-9"
            try await LifecycleTests.withScratch { directory in
                let config = LifecycleTests.config(simulator: directPort, rsaRuns: ["1001"], withNexio: false)
                    .replacingOccurrences(of: #""vendor": "rsa","#, with: #""vendor": "rsa", "proxy_url": "http://me:\#(password)@127.0.0.1:\#(proxyPort)", "tls_config": {"insecure_skip_verify": true},"#)
                try directory.write("config.json", config)
                let file = directory.file("config.json")
                let check = try await SpawnedProcess.run(Program.exporter.path!, ["--config.file=\(file)", "--config.check"])
                #expect(check.status == 0, "\(check.output)")
                #expect(check.output.contains("proxy http://xxxxx@127.0.0.1:\(proxyPort)"), "\(check.output)")
                #expect(check.output.contains("insecure_skip_verify"), "\(check.output)")
                let exporter = try await LifecycleTests.Exporter.start(["--config.file=\(file)", "--log.level=debug"], in: directory)
                defer { Task { await exporter.child.kill() } }
                try await exporter.waitFor()
                try await exporter.eventually("rsa polled") { ($0["runstatus_polls_total{vendor=\"rsa\",target=\"rsa\"}"] ?? 0) >= 2 }
                #expect(proxied.value.withLock { $0 } >= 2)
                let landing = try await exporter.get("/").text
                #expect(landing.contains("<strong>Warning:</strong> tls_config.insecure_skip_verify is set for rsa"), "\(landing)")
                let log = exporter.child.output
                #expect(log.contains("level=warn") && log.contains("insecure_skip_verify is set") && log.contains("target=rsa"), "\(log)")
                // Every config that takes effect warns again, a reload too.
                let reloaded = try await exporter.get("/-/reload", method: "POST")
                #expect(reloaded.status == 200, "\(reloaded.text)")
                #expect(await eventually { exporter.child.output.components(separatedBy: "insecure_skip_verify is set").count - 1 == 2 },
                        "\(exporter.child.output)")
                let metrics = try await exporter.get("/metrics").text
                for (what, text) in [("--config.check", check.output), ("log", log), ("landing page", landing), ("/metrics", metrics)] {
                    #expect(!text.contains(password), "\(what) shows the proxy password")
                }
                await exporter.child.kill()
            }
        }
    }

    @Test func theProxyEnvironmentIsIgnoredUnlessProxyFromEnvironment() async throws {
        try await Self.withProxiedSimulator { directPort, proxyPort, proxied in
            let environment = ["HTTP_PROXY": "http://127.0.0.1:\(proxyPort)", "http_proxy": "http://127.0.0.1:\(proxyPort)",
                               "HTTPS_PROXY": "http://127.0.0.1:\(proxyPort)", "ALL_PROXY": "http://127.0.0.1:\(proxyPort)",
                               "NO_PROXY": "", "no_proxy": ""]
            let rsa = "vendor=\"rsa\",target=\"rsa\""
            for fromEnvironment in [false, true] {
                try await LifecycleTests.withScratch { directory in
                    var config = LifecycleTests.config(simulator: directPort, rsaRuns: ["1001"], withNexio: false)
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
}
