import Foundation
import HTTPServer
import Synchronization
import TestSupport
import Testing
import VendorSimulator

@Suite struct FaultSimulatorTests {
    let clock = ManualClock(t0)

    /// One run per vendor: (vendor, id).
    let everyVendor = [("rsa", "1001"), ("sequentum", "1/2"), ("instabase", "00000000-0000-4000-8000-000000000001"),
                       ("wes", "00000000-0000-4000-8000-000000000002"), ("nexio", "00000000-0000-4000-8000-000000000003")]

    /// Every vendor's run running, with `fault`.
    func make(_ fault: SimulatorFault?, window: Range<Double>? = nil, sleep: @escaping @Sendable (Double) -> Void = { _ in })
        -> VendorSimulator {
        let scripts = ["rsa": "Running", "sequentum": "1", "instabase": "RUNNING", "wes": "RUNNING", "nexio": "processing"]
        let runs = everyVendor.map { vendor, id in
            SimulatedRun(vendor: vendor, id: id, script: [(0, scripts[vendor]!)], fault: fault, faultWindow: window)
        }
        return VendorSimulator(scenario: SimulatorScenario(start: t0, runs: runs), now: clock.closure, sleep: sleep)
    }

    @Test func proxyBadGatewayIsAnHTMLPage() {
        let sim = make(.proxyBadGateway)
        for (vendor, id) in everyVendor {
            let response = sim.get(statusTarget(vendor, id))
            #expect(response.status == 502, "\(vendor)")
            #expect(response.contentType == "text/html", "\(vendor)")
            #expect(response.text.contains("<h1>502 Bad Gateway</h1>"), "\(vendor)")
        }
    }

    @Test func truncatedBodyIsHalfOfTheNormalOne() {
        let normal = make(nil), truncated = make(.truncatedBody)
        for (vendor, id) in everyVendor {
            let whole = normal.get(statusTarget(vendor, id)), cut = truncated.get(statusTarget(vendor, id))
            #expect(cut.status == 200, "\(vendor)")
            #expect(cut.body == Array(whole.body.prefix(whole.body.count / 2)), "\(vendor)")
            #expect((try? JSONSerialization.jsonObject(with: Data(cut.body))) == nil, "\(vendor)")
        }
    }

    @Test func unknownStatusReplacesTheState() {
        let sequentum = make(.unknownStatus("13")).get(statusTarget("sequentum", "1/2"))
        #expect(rawInteger("status", in: sequentum.text) == 13)
        let wes = make(.unknownStatus("ARCHIVED")).get(statusTarget("wes", "00000000-0000-4000-8000-000000000002"))
        #expect(wes.text.contains(#""state":"ARCHIVED""#))
        let rsa = make(.unknownStatus("Suspended")).get(statusTarget("rsa", "1001"))
        #expect(rsa.object?["data"].flatMap { ($0 as? [String: Any])?["overall-status"] as? String } == "Suspended")
    }

    @Test func delaySleepsThenAnswers() {
        let slept = Mutex<[Double]>([])
        let sim = make(.delay(2.5), sleep: { seconds in slept.withLock { $0.append(seconds) } })
        let response = sim.get(statusTarget("instabase", "00000000-0000-4000-8000-000000000001"))
        #expect(response.status == 200)
        #expect(slept.withLock { $0 } == [2.5])
    }

    @Test func httpErrorUsesTheVendorsBodyAndHonoursTheWindow() throws {
        let sim = make(.httpError(500), window: 60..<120)
        let wes = statusTarget("wes", "00000000-0000-4000-8000-000000000002")
        #expect(sim.get(wes).status == 200)
        clock.set(t0 + 90)
        let failing = sim.get(wes)
        #expect(failing.status == 500)
        #expect(rawInteger("status_code", in: failing.text) == 500)
        #expect(sim.get(statusTarget("rsa", "1001")).contentType?.hasPrefix("text/html") == true)
        #expect(sim.get(statusTarget("sequentum", "1/2")).contentType?.hasPrefix("application/problem+json") == true)
        clock.set(t0 + 120)
        #expect(sim.get(wes).status == 200)
    }

    @Test func a404FaultHidesTheRunFromLists() {
        let sim = make(.httpError(404))
        #expect(sim.get(statusTarget("rsa", "1001")).text.contains("The run-id 1001 is invalid."))
        #expect(sim.get("/ga4gh/wes/v1/runs").text == #"{"runs":[],"next_page_token":""}"#)
        #expect(sim.get("/api/v1/agent/1/runs").text == "[]")
    }
}
