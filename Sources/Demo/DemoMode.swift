import Configuration
import Foundation
import HTTPServer
import RunStatusModel
import VendorSimulator

/// `--demo`: the built-in simulator of the five vendors on a loopback port, and a config that polls it.
public struct DemoMode: Sendable {
    public let simulator: VendorSimulator
    public let server: HTTPServer
    public let config: ExporterConfig
    public let baseURL: String

    /// Starts the simulator on an ephemeral loopback port.
    public static func start(scenario: SimulatorScenario = .demo(startingAt: Date().timeIntervalSince1970),
                             pollInterval: Double = 5, terminalPollInterval: Double = 30) throws -> DemoMode {
        let simulator = VendorSimulator(scenario: scenario)
        let server = try simulator.serve(host: "127.0.0.1", port: 0)
        let base = "http://127.0.0.1:\(server.port)"
        let config = Self.config(for: scenario, baseURL: base, pollInterval: pollInterval, terminalPollInterval: terminalPollInterval)
        return DemoMode(simulator: simulator, server: server, config: config, baseURL: base)
    }

    /// One target per vendor, authenticating the way each vendor documents, polling every run of the scenario.
    public static func config(for scenario: SimulatorScenario, baseURL: String, pollInterval: Double = 5,
                              terminalPollInterval: Double = 30, timeout: Double = 5, maxConcurrency: Int = 16) -> ExporterConfig {
        let targets = Vendor.allCases.sorted { $0.demoOrder < $1.demoOrder }.compactMap { vendor -> TargetConfig? in
            let ids = scenario.runIDs(for: vendor.rawValue)
            guard !ids.isEmpty, let endpoint = scenario.endpoint(for: vendor.rawValue, baseURL: baseURL) else { return nil }
            return TargetConfig(name: "demo-\(vendor.rawValue)", vendor: vendor, url: endpoint.url, auth: endpoint.auth,
                                headers: endpoint.headers, timeZone: endpoint.timeZone, runs: ids.map { RunConfig(id: $0) },
                                pollInterval: pollInterval, terminalPollInterval: terminalPollInterval, timeout: timeout)
        }
        return ExporterConfig(pollInterval: pollInterval, terminalPollInterval: terminalPollInterval, timeout: timeout,
                              maxConcurrency: maxConcurrency, targets: targets)
    }

    public func stop() {
        server.stop()
    }
}

private extension SimulatedEndpoint {
    /// The credential sent the way the simulated vendor documents it.
    var auth: AuthConfig {
        guard let credential else { return .none }
        switch (credentialHeader, credentialScheme) {
        case ("Authorization", "Bearer"): return .bearer(.inline(credential))
        case ("Authorization", "ApiKey"): return .apiKey(.inline(credential))
        default: return .header(name: credentialHeader, .inline(credential))
        }
    }
}

private extension Vendor {
    /// The order the README lists the vendors in.
    var demoOrder: Int { [.rsa, .sequentum, .instabase, .wes, .nexio].firstIndex(of: self) ?? 0 }
}
