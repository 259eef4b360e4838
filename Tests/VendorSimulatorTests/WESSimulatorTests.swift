import HTTPServer
import TestSupport
import Testing
import VendorSimulator

@Suite struct WESSimulatorTests {
    let clock = ManualClock(t0)
    let token = "55e9691c111146bd384c5ec40a9f97fb1"
    let id = "40a9c1a6-9263-4982-a574-e494f7c4b621"
    let base = "/ga4gh/wes/v1"
    var sbg: [(name: String, value: String)] { [("X-SBG-Auth-Token", token)] }

    func make() -> VendorSimulator {
        simulator([SimulatedRun(vendor: "wes", id: id, script: [(0, "QUEUED"), (10, "INITIALIZING"), (20, "RUNNING"),
                                                                (320, "COMPLETE")])],
                  credentials: ["wes": token], clock: clock)
    }

    @Test func statusIsRunIDAndState() {
        let sim = make()
        clock.set(t0 + 25)
        let response = sim.get("\(base)/runs/\(id)/status", sbg)
        #expect(response.status == 200)
        #expect(response.text == #"{"run_id":"40a9c1a6-9263-4982-a574-e494f7c4b621","state":"RUNNING"}"#)
    }

    @Test func runLogHasEmptyTimesUntilTheyHappen() throws {
        let sim = make()
        clock.set(t0 + 5)
        let queued = try #require(sim.get("\(base)/runs/\(id)", sbg).object)
        #expect(Set(queued.keys) == ["run_id", "state", "request", "run_log", "task_logs", "outputs"])
        #expect(queued["state"] as? String == "QUEUED")
        #expect((queued["request"] as? [String: Any])?["workflow_url"] is String)
        #expect((queued["task_logs"] as? [Any])?.isEmpty == true)
        let queuedLog = try #require(queued["run_log"] as? [String: Any])
        #expect(queuedLog["start_time"] as? String == "")
        #expect(queuedLog["end_time"] as? String == "")

        clock.set(t0 + 100)
        let running = try #require(sim.get("\(base)/runs/\(id)", sbg).object?["run_log"] as? [String: Any])
        #expect(running["start_time"] as? String == "2026-01-15T10:00:20Z")
        #expect(running["end_time"] as? String == "")

        clock.set(t0 + 400)
        let done = try #require(sim.get("\(base)/runs/\(id)", sbg).object)
        #expect(done["state"] as? String == "COMPLETE")
        #expect((done["run_log"] as? [String: Any])?["end_time"] as? String == "2026-01-15T10:05:20Z")
    }

    @Test func authBySBGTokenOrBearer() throws {
        let sim = make()
        #expect(sim.get("\(base)/runs/\(id)/status", sbg).status == 200)
        #expect(sim.get("\(base)/runs/\(id)/status", bearer(token)).status == 200)
        let denied = sim.get("\(base)/runs/\(id)/status", [("X-SBG-Auth-Token", "nope")])
        #expect(denied.status == 401)
        #expect(try #require(denied.object)["msg"] is String)
        #expect(rawInteger("status_code", in: denied.text) == 401)
        let missing = sim.get("\(base)/runs/00000000-0000-4000-8000-000000000000/status", sbg)
        #expect(missing.status == 404)
        #expect(rawInteger("status_code", in: missing.text) == 404)
    }

    func page(_ sim: VendorSimulator, size: Int, token pageToken: String?) -> (ids: [String], next: String?) {
        let query = "page_size=\(size)" + (pageToken.map { "&page_token=\($0)" } ?? "")
        let object = sim.get("\(base)/runs?\(query)").object
        let runs = object?["runs"] as? [[String: Any]] ?? []
        return (runs.compactMap { $0["run_id"] as? String }, object?["next_page_token"] as? String)
    }

    @Test func listPagesWithOpaqueTokensUntilEmpty() {
        // Seven runs, one a minute apart, and an eighth created between the first and second page.
        let ids = (0..<8).map { "00000000-0000-4000-8000-00000000000\($0)" }
        let runs = ids.enumerated().map { i, id in
            SimulatedRun(vendor: "wes", id: id, startOffset: i == 7 ? 30 : Double(i * 60 - 600), script: [(0, "RUNNING")])
        }
        let sim = simulator(runs, clock: clock)
        let first = page(sim, size: 3, token: nil)
        #expect(first.ids == [ids[6], ids[5], ids[4]])
        let firstToken = first.next ?? ""
        #expect(!firstToken.isEmpty && Int(firstToken) == nil)
        clock.set(t0 + 60)
        let second = page(sim, size: 3, token: firstToken)
        #expect(second.ids == [ids[3], ids[2], ids[1]])
        let third = page(sim, size: 3, token: second.next)
        #expect(third.ids == [ids[0]])
        #expect(third.next == "")
        // The run created meanwhile heads a fresh listing.
        #expect(page(sim, size: 3, token: nil).ids.first == ids[7])
        #expect(sim.get("\(base)/runs?page_token=garbage").status == 400)
        #expect(sim.get("\(base)/runs?page_size=0").status == 400)
    }
}
