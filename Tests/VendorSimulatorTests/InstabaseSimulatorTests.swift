import Foundation
import HTTPServer
import TestSupport
import Testing
import VendorSimulator

@Suite struct InstabaseSimulatorTests {
    let clock = ManualClock(t0)
    let token = "ib-token"
    let id = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"

    func make(_ runs: [SimulatedRun]? = nil) -> VendorSimulator {
        simulator(runs ?? [SimulatedRun(vendor: "instabase", id: id, startOffset: 0.25,
                                        script: [(0, "RUNNING"), (120, "CANCELLED")])],
                  credentials: ["instabase": token], clock: clock)
    }

    @Test func statusHasTheDocumentsFieldsWithNanosecondTimes() throws {
        let sim = make()
        clock.set(t0 + 60)
        let running = sim.get("/api/v2/apps/runs/\(id)", bearer(token))
        #expect(running.status == 200)
        let object = try #require(running.object)
        #expect(Set(object.keys) == ["id", "status", "start_timestamp", "finish_timestamp", "msg", "batch_id",
                                     "input_dir", "app_id", "deployment_id", "tags"])
        #expect(object["id"] as? String == id)
        #expect(object["status"] as? String == "RUNNING")
        #expect(object["finish_timestamp"] is NSNull)
        let start = try #require(rawInteger("start_timestamp", in: running.text))
        // Nanoseconds: beyond 2^53, whole seconds and the .25 fraction exact.
        #expect(start > 1 << 53)
        #expect(start / 1_000_000_000 == Int64(t0))
        #expect(start % 1_000_000_000 / 1_000 == 250_000)

        clock.set(t0 + 200)
        let finished = sim.get("/api/v2/apps/runs/\(id)", bearer(token))
        #expect(finished.object?["status"] as? String == "CANCELLED")
        #expect(rawInteger("start_timestamp", in: finished.text) == start)
        #expect(rawInteger("finish_timestamp", in: finished.text) == start + 120_000_000_000)
    }

    @Test func errorsAreMessageObjects() throws {
        let sim = make([
            SimulatedRun(vendor: "instabase", id: id, script: [(0, "RUNNING")], fault: .httpError(403)),
        ])
        let denied = sim.get("/api/v2/apps/runs/\(id)", bearer("wrong"))
        #expect(denied.status == 401)
        #expect(try #require(denied.object)["message"] is String)
        let broke = sim.get("/api/v2/apps/runs/\(id)", bearer(token))
        #expect(broke.status == 403)
        #expect((try #require(broke.object)["message"] as? String)?.contains("consumption units") == true)
        let missing = sim.get("/api/v2/apps/runs/00000000-0000-4000-8000-000000000000", bearer(token))
        #expect(missing.status == 404)
        #expect(try #require(missing.object)["message"] is String)
    }

    /// Five runs created 1000, 400, 300, 200 and 100 s before t0; two of them in app_b.
    func listed() -> VendorSimulator {
        make([1000, 400, 300, 200, 100].enumerated().map { i, age in
            SimulatedRun(vendor: "instabase", id: "00000000-0000-4000-8000-00000000000\(i)", startOffset: -Double(age),
                         script: [(0, "RUNNING"), (250, "COMPLETE")], details: ["app_id": i % 2 == 1 ? "app_b" : "app_a"])
        })
    }

    func ids(_ response: HTTPResponse) -> [String] {
        (response.object?["runs"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
    }

    @Test func listFiltersInSecondsAndPagesByOffset() {
        let sim = listed()
        let from = Int64(t0) - 450
        var seen: [String] = []
        for offset in stride(from: 0, to: 6, by: 2) {
            let page = sim.get("/api/v2/apps/runs?from_timestamp=\(from)&limit=2&offset=\(offset)", bearer(token))
            #expect(page.status == 200)
            seen += ids(page)
        }
        #expect(seen == (1...4).map { "00000000-0000-4000-8000-00000000000\($0)" })
        // A client passing nanoseconds asks for runs far in the future and gets none.
        let nanos = sim.get("/api/v2/apps/runs?from_timestamp=\(Int64(t0) * 1_000_000_000)", bearer(token))
        #expect(nanos.status == 200)
        #expect(ids(nanos).isEmpty)
        // Without from_timestamp: the last 24 hours.
        #expect(ids(sim.get("/api/v2/apps/runs", bearer(token))).count == 5)
    }

    @Test func listFiltersByStatusAndApp() {
        let sim = listed()
        let complete = sim.get("/api/v2/apps/runs?status=COMPLETE", bearer(token))
        #expect(ids(complete) == ["00000000-0000-4000-8000-000000000000", "00000000-0000-4000-8000-000000000001",
                                  "00000000-0000-4000-8000-000000000002"])
        #expect(ids(sim.get("/api/v2/apps/runs?app_id=app_b", bearer(token))) ==
            ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000003"])
        #expect(sim.get("/api/v2/apps/runs?limit=x", bearer(token)).status == 400)
        #expect(sim.get("/api/v2/apps/runs", bearer("wrong")).status == 401)
    }
}
