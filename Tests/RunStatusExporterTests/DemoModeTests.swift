import Demo
import Foundation
import Testing
import VendorSimulator
@testable import Configuration

/// `--demo`'s config: each vendor reached the way the simulator says (`SimulatedEndpoint`), in the README's order.
@Suite struct DemoModeTests {
    @Test func eachTargetAuthenticatesAndIsReachedAsItsVendorDocuments() {
        var scenario = SimulatorScenario.demo(startingAt: 1_800_000_000)
        scenario.rsaUTCOffsetSeconds = 3600
        scenario.credentials["nexio"] = nil
        let config = DemoMode.config(for: scenario, baseURL: "http://127.0.0.1:1")
        #expect(config.targets.map(\.name) == ["demo-rsa", "demo-sequentum", "demo-instabase", "demo-wes", "demo-nexio"])
        #expect(config.targets.map(\.url) == ["http://127.0.0.1:1", "http://127.0.0.1:1", "http://127.0.0.1:1",
                                              "http://127.0.0.1:1/ga4gh/wes/v1", "http://127.0.0.1:1"])
        #expect(config.targets.map(\.auth) == [.bearer(.inline("demo-rsa-token")), .apiKey(.inline("demo-sequentum-key")),
                                               .bearer(.inline("demo-instabase-token")),
                                               .header(name: "X-SBG-Auth-Token", .inline("demo-wes-token")), .none])
        #expect(config.targets.map(\.headers) == [[:], [:], ["IB-Context": "demo-org"], [:], [:]])
        #expect(config.targets.map(\.timeZone) == [TimeZone(secondsFromGMT: 3600)!.identifier, "UTC", "UTC", "UTC", "UTC"])
    }

    @Test func aNameThatIsNoVendorHasNoEndpoint() {
        #expect(SimulatorScenario.demo(startingAt: 0).endpoint(for: "acme", baseURL: "http://127.0.0.1:1") == nil)
    }
}
