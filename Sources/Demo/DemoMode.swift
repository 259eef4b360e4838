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
            guard !ids.isEmpty else { return nil }
            let auth: AuthConfig
            if let secret = scenario.credential(for: vendor.rawValue) {
                switch vendor {
                case .sequentum: auth = .apiKey(.inline(secret))
                case .wes: auth = .header(name: "X-SBG-Auth-Token", .inline(secret))
                case .rsa, .instabase, .nexio: auth = .bearer(.inline(secret))
                }
            } else {
                auth = .none
            }
            let url = vendor == .wes ? baseURL + "/ga4gh/wes/v1" : baseURL
            let zone = TimeZone(secondsFromGMT: scenario.rsaUTCOffsetSeconds)?.identifier ?? "UTC"
            return TargetConfig(name: "demo-\(vendor.rawValue)", vendor: vendor, url: url, auth: auth,
                                headers: vendor == .instabase ? ["IB-Context": "demo-org"] : [:],
                                timeZone: vendor == .rsa ? zone : "UTC", runs: ids.map { RunConfig(id: $0) },
                                pollInterval: pollInterval, terminalPollInterval: terminalPollInterval, timeout: timeout)
        }
        return ExporterConfig(pollInterval: pollInterval, terminalPollInterval: terminalPollInterval, timeout: timeout,
                              maxConcurrency: maxConcurrency, targets: targets)
    }

    public func stop() {
        server.stop()
    }
}

private extension Vendor {
    /// The order the README lists the vendors in.
    var demoOrder: Int { [.rsa, .sequentum, .instabase, .wes, .nexio].firstIndex(of: self) ?? 0 }
}
