import Foundation
import HTTPServer
import TestSupport
import Testing
import VendorSimulator

/// The tests' own reading of which raw states are failures and which are terminal, per vendor.
let failedStates: [String: Set<String>] = [
    "rsa": ["Aborted"], "sequentum": ["6", "7"], "instabase": ["FAILED"],
    "wes": ["EXECUTOR_ERROR", "SYSTEM_ERROR", "PREEMPTED"], "nexio": ["failed"],
]
let terminalStates: [String: Set<String>] = [
    "rsa": ["Completed", "Aborted"], "sequentum": ["6", "7", "8", "9", "10", "11"],
    "instabase": ["COMPLETE", "FAILED", "CANCELLED"],
    "wes": ["COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED", "PREEMPTED"],
    "nexio": ["completed", "degraded", "failed"],
]

/// The raw state a status answer reports, read the way each vendor's body carries it.
func reportedState(_ vendor: String, _ response: HTTPResponse) -> String? {
    switch vendor {
    case "rsa": (response.object?["data"] as? [String: Any])?["overall-status"] as? String
    case "sequentum": rawInteger("status", in: response.text).map { String($0) }
    case "wes": response.object?["state"] as? String
    default: response.object?["status"] as? String
    }
}

@Suite struct ScenarioSimulatorTests {
    let clock = ManualClock(t0)

    @Test func runsMoveThroughTheirScriptsAsTheClockAdvances() {
        let id = "00000000-0000-4000-8000-000000000001"
        let sim = simulator([SimulatedRun(vendor: "wes", id: id, startOffset: 10,
                                          script: [(0, "QUEUED"), (30, "INITIALIZING"), (60, "RUNNING"), (120, "COMPLETE")])],
                            clock: clock)
        let target = statusTarget("wes", id)
        var seen: [String] = []
        for at in [0.0, 15, 45, 75, 129, 130, 1_000] {
            clock.set(t0 + at)
            let response = sim.get(target)
            seen.append(response.status == 200 ? reportedState("wes", response) ?? "?" : "\(response.status)")
        }
        #expect(seen == ["404", "QUEUED", "INITIALIZING", "RUNNING", "RUNNING", "COMPLETE", "COMPLETE"])
    }

    @Test func sequentumFailureCanRestartInPlace() throws {
        let sim = simulator([SimulatedRun(vendor: "sequentum", id: "1/1", script: [(0, "1"), (60, "6"), (90, "1"), (150, "9")])],
                            clock: clock)
        clock.set(t0 + 70)
        let failed = try #require(sim.get(statusTarget("sequentum", "1/1")).object)
        #expect(failed["endTime"] as? String == "2026-01-15T10:01:00Z")
        clock.set(t0 + 100)
        let restarted = sim.get(statusTarget("sequentum", "1/1"))
        #expect(rawInteger("status", in: restarted.text) == 1)
        #expect(restarted.object?["endTime"] is NSNull)
        clock.set(t0 + 200)
        #expect(sim.get(statusTarget("sequentum", "1/1")).object?["endTime"] as? String == "2026-01-15T10:02:30Z")
    }

    @Test func requestsAreCountedPerVendor() {
        let sim = simulator([], clock: clock)
        _ = sim.get("/aveksa/command.submit?cmd=getRunStatus&run-id=1")
        _ = sim.get("/ga4gh/wes/v1/runs")
        _ = sim.get("/ga4gh/wes/v1/runs/x/status")
        _ = sim.get("/metrics")
        #expect(sim.requestCount == 4)
        #expect(sim.requestCount(for: "wes") == 2)
        #expect(sim.requestCount(for: "rsa") == 1)
        #expect(sim.requestCount(for: "nexio") == 0)
        #expect(sim.get("/metrics").status == 404)
        #expect(sim.handle(HTTPRequest(method: "POST", target: "/api/v1/runs/x")).status == 405)
    }

    @Test func demoScenarioHasWhatTheDemoAndAlertsNeed() throws {
        let start = t0 + 0.5
        let scenario = SimulatorScenario.demo(startingAt: start)
        clock.set(start)
        let sim = VendorSimulator(scenario: scenario, now: clock.closure, sleep: { _ in })
        func states(at time: Double) -> [String: [String: String]] {
            clock.set(time)
            var result: [String: [String: String]] = [:]
            for vendor in SimulatorScenario.vendors {
                for id in scenario.runIDs(for: vendor) {
                    let response = sim.get(statusTarget(vendor, id), authHeaders(vendor, scenario.credential(for: vendor)))
                    result[vendor, default: [:]][id] = response.status == 200 ? reportedState(vendor, response) : "\(response.status)"
                }
            }
            return result
        }
        let atStart = states(at: start)
        for vendor in SimulatorScenario.vendors {
            #expect(scenario.credential(for: vendor) != nil, "\(vendor)")
            #expect(scenario.runIDs(for: vendor).count >= 3, "\(vendor)")
        }
        let all = atStart.flatMap { vendor, runs in runs.map { (vendor, $0.key, $0.value) } }
        #expect(all.filter { $0.2 == "404" }.map(\.0) == ["rsa"])
        #expect(all.contains { failedStates[$0.0]!.contains($0.2) })
        #expect(all.contains { terminalStates[$0.0]!.contains($0.2) && !failedStates[$0.0]!.contains($0.2) })
        let at30 = states(at: start + 30)
        #expect(all.contains { vendor, id, state in
            !failedStates[vendor]!.contains(state) && failedStates[vendor]!.contains(at30[vendor]![id]!)
        })
        // Within a few minutes every run (but the 404 one) has ended.
        let later = states(at: start + 600)
        for (vendor, id, _) in all where later[vendor]![id] != "404" {
            #expect(terminalStates[vendor]!.contains(later[vendor]![id]!), "\(vendor) \(id)")
        }
        for id in ["instabase", "wes", "nexio"].flatMap(scenario.runIDs(for:)) {
            #expect(UUID(uuidString: id) != nil, "\(id)")
        }
    }

    @Test func generatedScenarioOf10000RunsAnswersEveryID() {
        let scenario = SimulatorScenario.generated(runs: 10_000, seed: 42, startingAt: t0)
        let sim = VendorSimulator(scenario: scenario, now: clock.closure, sleep: { _ in })
        var failures: [String] = []
        for vendor in SimulatorScenario.vendors {
            let ids = scenario.runIDs(for: vendor)
            #expect(ids.count == 2_000, "\(vendor)")
            let headers = authHeaders(vendor, scenario.credential(for: vendor))
            for id in ids {
                let response = sim.get(statusTarget(vendor, id), headers)
                if response.status != 200 || reportedState(vendor, response) == nil { failures.append("\(vendor) \(id)") }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        #expect(sim.requestCount == 10_000)
        #expect(SimulatorScenario.generated(runs: 50, seed: 42, startingAt: t0).runs.map(\.id) ==
            Array(scenario.runs.prefix(50).map(\.id)))
        #expect(SimulatorScenario.generated(runs: 50, seed: 43, startingAt: t0).runs.map(\.id) !=
            Array(scenario.runs.prefix(50).map(\.id)))
    }
}
