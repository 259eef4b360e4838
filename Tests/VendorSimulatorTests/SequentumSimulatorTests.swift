import Foundation
import HTTPServer
import TestSupport
import Testing
import VendorSimulator

@Suite struct SequentumSimulatorTests {
    let clock = ManualClock(t0)
    let key = "seq-key"
    let path = "/api/v1/agent/4711/run/90001/status"

    /// Created at 10:00:00.25, queued 10 s, running until +130 s, then Success; 90002 fails at +60 s.
    func make(limit: Int = 100, credentials: [String: String]? = nil) -> VendorSimulator {
        simulator([
            SimulatedRun(vendor: "sequentum", id: "4711/90001", startOffset: 0.25,
                         script: [(0, "4"), (10, "1"), (130, "10")]),
            SimulatedRun(vendor: "sequentum", id: "4711/90002", startOffset: 5, script: [(0, "1"), (60, "6")]),
            SimulatedRun(vendor: "sequentum", id: "4712/1", startOffset: 2, script: [(0, "1")]),
        ], credentials: credentials ?? ["sequentum": key], clock: clock) { $0.sequentumRequestsPerMinute = limit }
    }

    var apiKey: [(name: String, value: String)] { [("Authorization", "ApiKey \(key)")] }

    @Test func statusCarriesTheDocumentsFullFieldSet() throws {
        let sim = make()
        clock.set(t0 + 30)
        let response = sim.get(path, apiKey)
        #expect(response.status == 200)
        let object = try #require(response.object)
        let documented: Set = ["id", "configId", "configName", "spaceId", "organizationId", "organizationName", "sequence",
                               "parallelism", "parallelMaxConcurrency", "parallelExport", "parallelSet", "startTime",
                               "endTime", "created", "status", "message", "configVersion", "actionCount", "pageCount",
                               "dynamicPageCount", "requestCount", "dataCount", "inputCount", "errorCount",
                               "exportCount", "traffic", "runTimeSec", "serverName", "tableType"]
        #expect(Set(object.keys) == documented)
        #expect(rawInteger("status", in: response.text) == 1)
        #expect(rawInteger("id", in: response.text) == 90001)
        #expect(rawInteger("configId", in: response.text) == 4711)
        // Fractions as .NET writes them; nulls while running.
        #expect(object["created"] as? String == "2026-01-15T10:00:00.25Z")
        #expect(object["startTime"] as? String == "2026-01-15T10:00:10.25Z")
        #expect(object["endTime"] is NSNull)
        #expect(object["runTimeSec"] is NSNull)
        #expect(rawInteger("errorCount", in: response.text) == 0)
    }

    @Test func queuedHasNoStartAndFinishedHasEndAndRunTime() throws {
        let sim = make()
        clock.set(t0 + 5)
        let queued = try #require(sim.get(path, apiKey).object)
        #expect(queued["startTime"] is NSNull)
        clock.set(t0 + 200)
        let done = sim.get(path, apiKey)
        let object = try #require(done.object)
        #expect(rawInteger("status", in: done.text) == 10)
        #expect(object["endTime"] as? String == "2026-01-15T10:02:10.25Z")
        #expect(rawInteger("runTimeSec", in: done.text) == 120)
        let failed = sim.get("/api/v1/agent/4711/run/90002/status", apiKey)
        #expect(rawInteger("status", in: failed.text) == 6)
        #expect((rawInteger("errorCount", in: failed.text) ?? 0) > 0)
        #expect(try #require(failed.object)["message"] is String)
    }

    @Test func authAcceptsApiKeyOrBearerAndAnswersProblemJSON() throws {
        let sim = make()
        clock.set(t0 + 30)
        #expect(sim.get(path, apiKey).status == 200)
        #expect(sim.get(path, bearer(key)).status == 200)
        for headers in [[], [("Authorization", "ApiKey wrong")], bearer("wrong")] as [[(name: String, value: String)]] {
            let denied = sim.get(path, headers)
            #expect(denied.status == 401)
            #expect(denied.contentType?.hasPrefix("application/problem+json") == true)
            let problem = try #require(denied.object)
            #expect(problem["title"] as? String == "Unauthorized")
            #expect(rawInteger("status", in: denied.text) == 401)
            #expect(problem["type"] is String)
            #expect(!denied.text.contains(key))
        }
    }

    @Test func unknownAndMalformedRunsAreProblems() throws {
        let sim = make()
        clock.set(t0 + 30)
        let missing = sim.get("/api/v1/agent/4711/run/5/status", apiKey)
        #expect(missing.status == 404)
        #expect(try #require(missing.object)["instance"] as? String == "/api/v1/agent/4711/run/5/status")
        #expect(sim.get("/api/v1/agent/x/run/5/status", apiKey).status == 400)
        #expect(sim.get("/api/v1/agent/4711/run/abc/status", apiKey).status == 400)
    }

    @Test func rateLimitIs100PerMinutePerKeyWithRetryAfter() {
        let sim = make(credentials: [:])
        clock.set(t0 + 30)
        for _ in 0..<100 { #expect(sim.get(path, apiKey).status == 200) }
        let limited = sim.get(path, apiKey)
        #expect(limited.status == 429)
        #expect(limited.header("Retry-After") == "60")
        #expect(limited.object?["status"] != nil)
        // Another key has its own budget.
        #expect(sim.get(path, [("Authorization", "ApiKey other")]).status == 200)
        clock.set(t0 + 70)
        #expect(sim.get(path, apiKey).header("Retry-After") == "20")
        clock.set(t0 + 90)
        #expect(sim.get(path, apiKey).status == 200)
    }

    @Test func rateLimitIsConfigurableAndZeroTurnsItOff() {
        let limited = make(limit: 2)
        clock.set(t0 + 30)
        #expect(limited.get(path, apiKey).status == 200)
        #expect(limited.get(path, apiKey).status == 200)
        #expect(limited.get(path, apiKey).status == 429)
        let unlimited = make(limit: 0)
        let statuses = Set((0..<150).map { _ in unlimited.get(path, apiKey).status })
        #expect(statuses == [200])
    }

    @Test func runsListIsNewestFirstWithTheStatusObjects() throws {
        let sim = make()
        clock.set(t0 + 30)
        let list = sim.get("/api/v1/agent/4711/runs?maxRecords=10", apiKey)
        #expect(list.status == 200)
        let first = sim.get("/api/v1/agent/4711/run/90002/status", apiKey).text
        let second = sim.get(path, apiKey).text
        #expect(list.text == "[\(first),\(second)]")
        #expect(sim.get("/api/v1/agent/4711/runs?maxRecords=1", apiKey).text == "[\(first)]")
        #expect(sim.get("/api/v1/agent/9/runs", apiKey).status == 404)
        #expect(sim.get("/api/v1/agent/4711/runs?maxRecords=0", apiKey).status == 400)
    }
}
