import TestSupport
import Testing
@testable import RunStatusModel

/// The list decoders on mutated pages, in the style of `AdapterFuzzTests`: a `Result` that keeps the
/// invariants for every input, never a trap.
@Suite struct RunListerFuzzTests {
    static let seeds: [String] = [
        #"{"runs": [{"run_id": "r1", "state": "RUNNING"}, {"run_id": "r2", "state": "COMPLETE"}], "next_page_token": "t2"}"#,
        #"{"next_page_token": "", "workflows": [{"run_id": "a201b553f14748d08c6897d0ae4f380a", "state": "EXECUTOR_ERROR"}]}"#,
        #"{"runs": [{"run_id": "r1", "state": "COMPLETE", "start_time": "2026-01-15T09:00:00Z", "end_time": "1768469400"}]}"#,
        #"{"runs": [{"id": "a", "status": "COMPLETE", "start_timestamp": 1768467600000000000, "finish_timestamp": 1768469400123456789}]}"#,
        #"[{"id": 5, "configId": 7, "status": 1, "startTime": "2026-01-15T09:00:00Z", "endTime": null, "runTimeSec": 3}]"#,
        "[\(SequentumAdapterTests.example)]",
        #"{"msg": "Unauthorized", "status_code": 401}"#,
        #"{"type": "about:blank", "title": "Too Many Requests", "status": 429}"#,
    ]

    @Test func everyListerSurvivesMutatedPages() {
        var rng = SeededGenerator(seed: 0x11_57_2026)
        let listers: [(Vendor, any RunLister)] = Vendor.allCases.compactMap { v in v.lister.map { (v, $0) } }
        let cursors: [ListingCursor?] = [nil, .pageToken("t2"), .offset(100), .agent(index: 1), .agent(index: 9)]
        var pages = 0, failures = 0
        for _ in 0..<1_500 {
            let body = AdapterFuzzTests.mutate(Array(Self.seeds.randomElement(using: &rng)!.utf8), &rng)
            var headers: [String: String] = [:]
            if Bool.random(using: &rng) { headers["Retry-After"] = AdapterFuzzTests.hints.randomElement(using: &rng)! }
            if Bool.random(using: &rng) { headers["X-RateLimit-Reset"] = AdapterFuzzTests.hints.randomElement(using: &rng)! }
            let response = VendorResponse(status: AdapterFuzzTests.statuses.randomElement(using: &rng)!, headers: headers, body: body)
            let query = ListingQuery(maxRuns: 100, pageSize: Int.random(in: 1...3, using: &rng), fromTimestamp: 0, agents: [7, 8])
            let cursor = cursors.randomElement(using: &rng)!
            for (vendor, lister) in listers {
                switch lister.decodeList(response, query: query, cursor: cursor, context: utc) {
                case .success(let page):
                    pages += 1
                    #expect(response.isSuccess, "\(vendor) accepted HTTP \(response.status)")
                    #expect(page.skipped.count <= RunListingPage.skippedLimit)
                    for run in page.runs {
                        #expect(vendor.adapter.validate(runID: run.runID) == nil, "\(vendor) listed \(run.runID)")
                        if let o = run.observation { AdapterFuzzTests.check(o, vendor, response) }
                    }
                    if case .pageToken(let t)? = page.next { #expect(!t.isEmpty && cursor != .pageToken(t)) }
                    if case .offset(let o)? = page.next { #expect(o > 0) }
                case .failure(let e):
                    failures += 1
                    #expect(!e.message.isEmpty && e.message.count <= PollError.messageLimit, "\(vendor): \(e.message.count)")
                    #expect(!e.message.unicodeScalars.contains { $0.value < 0x20 }, "\(vendor): \(e.message)")
                    #expect(e.message.hasPrefix("listing runs: "), "\(vendor): \(e.message)")
                    #expect(e.status == response.status)
                    if let wait = e.retryAfter { #expect(wait >= 0 && wait <= VendorResponse.longestWait) }
                    if response.isSuccess { #expect(e.reason == .decode, "\(vendor): \(e)") }
                }
            }
        }
        #expect(pages > 300)
        #expect(failures > 1_000)
    }
}
