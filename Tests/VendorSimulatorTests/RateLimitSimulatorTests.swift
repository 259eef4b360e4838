import HTTPServer
import TestSupport
import Testing
import VendorSimulator

/// The scenario's generic sliding-window limit, the request log and WES 1.1 run summaries.
@Suite struct RateLimitSimulatorTests {
    let clock = ManualClock(t0)
    let wesID = "40a9c1a6-9263-4982-a574-e494f7c4b621"

    func make(_ limits: [String: SimulatedRateLimit], log: Bool = false) -> VendorSimulator {
        simulator([SimulatedRun(vendor: "wes", id: wesID, script: [(0, "RUNNING"), (100, "COMPLETE")]),
                   SimulatedRun(vendor: "nexio", id: "990d0fae-dc17-43af-aaed-ff8b580c17ab", script: [(0, "processing")]),
                   SimulatedRun(vendor: "rsa", id: "1001", script: [(0, "Running")])], clock: clock) { s in
            s.rateLimits = limits
            s.recordsRequests = log
        }
    }

    @Test func anySlidingWindowHoldsAtMostTheLimit() {
        let sim = make(["wes": SimulatedRateLimit(requests: 3, per: 10)])
        let status = "/ga4gh/wes/v1/runs/\(wesID)/status"
        var answers: [HTTPResponse] = []
        for offset in [0.0, 1, 2, 3, 9.5, 10, 10.5, 11.5, 12] {
            clock.set(t0 + offset)
            answers.append(sim.get(status))
        }
        // Accepted at 0, 1, 2; refused at 3 and 9.5; at 10 the request of 0 has left the window, and so on.
        #expect(answers.map(\.status) == [200, 200, 200, 429, 429, 200, 429, 200, 200])
        #expect(answers.map { $0.header("X-RateLimit-Remaining") } == ["2", "1", "0", "0", "0", "0", "0", "0", "0"])
        #expect(answers[0].header("X-RateLimit-Limit") == "3")
        #expect(answers[0].header("X-RateLimit-Reset") == String(Int64(t0) + 10))
        // Refused at 3: the oldest request (0) leaves the window at 10, 7 s later.
        #expect(answers[3].header("Retry-After") == "7")
        #expect(answers[3].text.contains(#""status_code":429"#))
        #expect(sim.rateLimitedCount == 3)
    }

    @Test func eachVendorAnswersInItsOwnFormatAndOthersAreUnlimited() {
        let sim = make(["nexio": SimulatedRateLimit(requests: 1, per: 60), "rsa": SimulatedRateLimit(requests: 1, per: 60)])
        let nexio = "/api/v1/runs/990d0fae-dc17-43af-aaed-ff8b580c17ab"
        #expect(sim.get(nexio).status == 200)
        let refused = sim.get(nexio)
        #expect(refused.status == 429 && refused.text.contains(#""code":"rate_limited""#))
        // One Retry-After and one reset, the limiter's, not the vendor's defaults as well.
        #expect(refused.headers.filter { $0.name.lowercased() == "x-ratelimit-reset" }.count == 1)
        #expect(refused.header("Retry-After") == "60")
        let rsa = "/aveksa/command.submit?cmd=getRunStatus&run-id=1001"
        #expect(sim.get(rsa).status == 200)
        let rsaRefused = sim.get(rsa)
        #expect(rsaRefused.status == 429 && rsaRefused.contentType?.hasPrefix("text/html") == true)
        // WES has no limit here: no headers either.
        let wes = sim.get("/ga4gh/wes/v1/runs/\(wesID)/status")
        #expect(wes.status == 200 && wes.header("X-RateLimit-Remaining") == nil)
    }

    @Test func credentialsHaveTheirOwnWindows() {
        let sim = make(["wes": SimulatedRateLimit(requests: 1, per: 60)])
        let status = "/ga4gh/wes/v1/runs/\(wesID)/status"
        #expect(sim.get(status, [("X-SBG-Auth-Token", "a")]).status == 200)
        #expect(sim.get(status, [("X-SBG-Auth-Token", "b")]).status == 200)
        #expect(sim.get(status, [("X-SBG-Auth-Token", "a")]).status == 429)
    }

    @Test func requestLogOnlyWhenAsked() {
        let quiet = make([:])
        _ = quiet.get("/ga4gh/wes/v1/runs")
        #expect(quiet.requestLog.isEmpty)
        let sim = make(["wes": SimulatedRateLimit(requests: 1, per: 60)], log: true)
        clock.set(t0 + 5)
        _ = sim.get("/ga4gh/wes/v1/runs?page_size=1")
        _ = sim.get("/nowhere")
        _ = sim.get("/ga4gh/wes/v1/runs?page_size=1")
        #expect(sim.requestLog == [
            SimulatorRequestRecord(time: t0 + 5, vendor: "wes", target: "/ga4gh/wes/v1/runs?page_size=1", status: 200),
            SimulatorRequestRecord(time: t0 + 5, vendor: "", target: "/nowhere", status: 404),
            SimulatorRequestRecord(time: t0 + 5, vendor: "wes", target: "/ga4gh/wes/v1/runs?page_size=1", status: 429),
        ])
    }

    @Test func wesListsRunSummariesWhenAsked() throws {
        let sim = simulator([SimulatedRun(vendor: "wes", id: wesID, script: [(0, "QUEUED"), (10, "RUNNING"), (100, "COMPLETE")])],
                            clock: clock) { $0.wesListsRunSummaries = true }
        clock.set(t0 + 200)
        let runs = try #require(sim.get("/ga4gh/wes/v1/runs").object?["runs"] as? [[String: Any]])
        #expect(runs.count == 1)
        #expect(runs[0]["start_time"] as? String == "2026-01-15T10:00:10Z")
        #expect(runs[0]["end_time"] as? String == "2026-01-15T10:01:40Z")
        #expect(runs[0]["state"] as? String == "COMPLETE")
    }
}
