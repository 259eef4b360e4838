import Foundation
import HTTPServer
import TestSupport
import Testing
import VendorSimulator

@Suite struct NexioSimulatorTests {
    let clock = ManualClock(t0)
    let key = "nx_test_abc123"
    let id = "990d0fae-dc17-43af-aaed-ff8b580c17ab"

    func make(_ script: [(after: Double, state: String)], fault: SimulatorFault? = nil,
              credential: String? = nil, limit: Int = 0) -> VendorSimulator {
        simulator([SimulatedRun(vendor: "nexio", id: id, startOffset: 0.851, script: script, fault: fault)],
                  credentials: ["nexio": credential ?? key], clock: clock) { $0.nexioRequestsPerMinute = limit }
    }

    var path: String { "/api/v1/runs/\(id)" }

    @Test func queuedMatchesTheDocumentsExample() {
        let sim = make([(0, "queued"), (60, "processing")])
        clock.set(t0 + 5)
        let response = sim.get(path, bearer(key))
        #expect(response.status == 200)
        #expect(response.text ==
            #"{"run_id":"990d0fae-dc17-43af-aaed-ff8b580c17ab","status":"queued","environment":"test","created_at":"2026-01-15T10:00:00.851Z"}"#)
    }

    @Test func completedCarriesOutputDurationAndCompletedAt() throws {
        let sim = make([(0, "queued"), (20, "processing"), (140, "completed")])
        clock.set(t0 + 60)
        let processing = try #require(sim.get(path, bearer(key)).object)
        #expect(processing["stage"] is String)
        #expect(processing["output"] == nil)
        #expect(processing["completed_at"] == nil)
        #expect(processing["duration_ms"] == nil)
        clock.set(t0 + 200)
        let response = sim.get(path, bearer(key))
        let done = try #require(response.object)
        #expect(done["status"] as? String == "completed")
        #expect(done["output"] is [String: Any])
        #expect(done["completed_at"] as? String == "2026-01-15T10:02:20.851Z")
        // Processing time only: 120 s, while completed_at - created_at is 140 s.
        #expect(rawInteger("duration_ms", in: response.text) == 120_000)
        #expect(done["error"] == nil)
    }

    @Test func failedAndDegradedRuns() throws {
        clock.set(t0 + 100)
        let failed = try #require(make([(0, "processing"), (45, "failed")]).get(path, bearer(key)).object)
        #expect(failed["error"] is String)
        #expect(failed["error_details"] is [String: Any])
        #expect(failed["output"] == nil)
        #expect(failed["completed_at"] as? String == "2026-01-15T10:00:45.851Z")
        let degraded = try #require(make([(0, "processing"), (45, "degraded")]).get(path, bearer(key)).object)
        #expect((degraded["output"] as? [String: Any])?["degradation_reason"] is String)
        let live = try #require(make([(0, "queued")], credential: "nx_live_xyz").get(path, bearer("nx_live_xyz")).object)
        #expect(live["environment"] as? String == "live")
    }

    @Test func errorsAreErrorObjects() throws {
        let sim = make([(0, "queued")])
        clock.set(t0 + 10)
        let denied = sim.get(path, bearer("nx_test_wrong"))
        #expect(denied.status == 401)
        let error = try #require(denied.object?["error"] as? [String: Any])
        #expect(error["code"] is String && error["message"] is String)
        #expect(!denied.text.contains("nx_test_wrong"))
        let missing = sim.get("/api/v1/runs/00000000-0000-4000-8000-000000000000", bearer(key))
        #expect(missing.status == 404)
        #expect((missing.object?["error"] as? [String: Any])?["code"] as? String == "not_found")
        // The auth gateway's transient 503 is flat.
        let unavailable = make([(0, "queued")], fault: .httpError(503)).get(path, bearer(key))
        #expect(unavailable.status == 503)
        #expect(unavailable.object?["code"] as? String == "auth_unavailable")
    }

    @Test func rateLimitAnswers429WithReset() {
        let sim = make([(0, "queued")], limit: 3)
        clock.set(t0 + 10)
        for _ in 0..<3 { #expect(sim.get(path, bearer(key)).status == 200) }
        let limited = sim.get(path, bearer(key))
        #expect(limited.status == 429)
        #expect(limited.header("X-RateLimit-Reset") == String(Int64(t0) + 70))
        #expect((limited.object?["error"] as? [String: Any])?["code"] as? String == "rate_limited")
    }
}
