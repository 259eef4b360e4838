import Testing
@testable import RunStatusModel

/// The list calls: exact requests, and pages decoded from the shapes real servers send.
@Suite struct RunListerTests {
    func page(_ lister: any RunLister, _ status: Int, _ text: String, query: ListingQuery,
              cursor: ListingCursor? = nil, headers: [String: String] = [:]) -> Result<RunListingPage, PollError> {
        lister.decodeList(answer(status, text, headers: headers), query: query, cursor: cursor, context: utc)
    }

    func decoded(_ result: Result<RunListingPage, PollError>, sourceLocation: SourceLocation = #_sourceLocation) throws -> RunListingPage {
        switch result {
        case .success(let p): return p
        case .failure(let e):
            Issue.record("expected a page, got \(e)", sourceLocation: sourceLocation)
            throw e
        }
    }

    func failure(_ result: Result<RunListingPage, PollError>, sourceLocation: SourceLocation = #_sourceLocation) throws -> PollError {
        switch result {
        case .failure(let e): return e
        case .success(let p):
            Issue.record("expected an error, got \(p)", sourceLocation: sourceLocation)
            throw PollError(.decode, "unexpected success")
        }
    }

    @Test func onlyWESInstabaseAndSequentumCanList() {
        #expect(Vendor.allCases.filter { $0.lister != nil } == [.sequentum, .instabase, .wes])
    }

    // MARK: WES

    @Test func wesRequests() {
        let wes = WESAdapter()
        let q = ListingQuery(maxRuns: 500, pageSize: 50)
        #expect(wes.listRequest(q, cursor: nil).pathAndQuery == "/runs?page_size=50")
        #expect(wes.listRequest(q, cursor: .pageToken("a b/c=")).pathAndQuery == "/runs?page_size=50&page_token=a%20b%2Fc%3D")
        #expect(wes.listRequest(q, cursor: nil).headers == ["Accept": "application/json"])
    }

    @Test func wesPagesUntilAnEmptyToken() throws {
        let q = ListingQuery(maxRuns: 10, pageSize: 2)
        let first = try decoded(page(WESAdapter(), 200, """
            {"runs": [{"run_id": "r1", "state": "RUNNING"}, {"run_id": "r2", "state": "COMPLETE"}], "next_page_token": "t2"}
            """, query: q))
        #expect(first.runs == [
            ListedRun(runID: "r1", observation: RunObservation(state: .running, vendorState: "RUNNING", timesUnknown: true)),
            ListedRun(runID: "r2", observation: RunObservation(state: .succeeded, vendorState: "COMPLETE", timesUnknown: true)),
        ])
        #expect(first.next == .pageToken("t2"))
        let last = try decoded(page(WESAdapter(), 200, #"{"runs": [{"run_id": "r3", "state": "QUEUED"}], "next_page_token": ""}"#,
                                    query: q, cursor: .pageToken("t2")))
        #expect(last.runs.map(\.runID) == ["r3"] && last.next == nil)
        let absent = try decoded(page(WESAdapter(), 200, #"{"runs": []}"#, query: q))
        #expect(absent.runs.isEmpty && absent.next == nil)
    }

    /// The GA4GH reference server (`wes-server`) names the array `workflows`, pretty-printed, as seen here.
    @Test func wesAcceptsWorkflowsAsTheArrayName() throws {
        let body = """
        {
          "next_page_token": "",
          "workflows": [
            {
              "run_id": "a201b553f14748d08c6897d0ae4f380a",
              "state": "EXECUTOR_ERROR"
            },
            {
              "run_id": "5dafe7515fce451fab3d914e551af9f8",
              "state": "COMPLETE"
            }
          ]
        }
        """
        let p = try decoded(page(WESAdapter(), 200, body, query: ListingQuery(maxRuns: 10)))
        #expect(p.runs.map(\.runID) == ["a201b553f14748d08c6897d0ae4f380a", "5dafe7515fce451fab3d914e551af9f8"])
        #expect(p.runs.map { $0.observation?.state } == [.failed, .succeeded])
        #expect(p.next == nil)
    }

    @Test func wes11RunSummaryCarriesTimes() throws {
        let p = try decoded(page(WESAdapter(), 200, """
            {"runs": [{"run_id": "r1", "state": "COMPLETE", "start_time": "2026-01-15T09:00:00Z", "end_time": "2026-01-15T09:30:00Z",
                       "tags": {}},
                      {"run_id": "r2", "state": "RUNNING", "start_time": "2026-01-15T09:50:00Z", "end_time": ""},
                      {"run_id": "r3", "state": "RUNNING", "start_time": "yesterday"}],
             "next_page_token": null}
            """, query: ListingQuery(maxRuns: 10)))
        #expect(p.runs[0].observation == RunObservation(state: .succeeded, vendorState: "COMPLETE",
                                                        startTime: testNow - 3600, endTime: testNow - 1800))
        #expect(p.runs[1].observation == RunObservation(state: .running, vendorState: "RUNNING", startTime: testNow - 600))
        // A time that does not parse: the state stands, the times are left to the details call.
        #expect(p.runs[2].observation == RunObservation(state: .running, vendorState: "RUNNING", timesUnknown: true))
    }

    @Test func wesEntriesWithoutUsableIDsAreSkippedAndNamed() throws {
        let p = try decoded(page(WESAdapter(), 200, """
            {"runs": [{"state": "RUNNING"}, {"run_id": "..", "state": "RUNNING"}, 7, {"run_id": "ok"}], "next_page_token": ""}
            """, query: ListingQuery(maxRuns: 10)))
        #expect(p.runs == [ListedRun(runID: "ok", observation: nil)])
        #expect(p.skipped.count == 3)
        #expect(p.skipped[0] == "runs[0] has no run_id string")
    }

    @Test func wesListErrors() throws {
        let q = ListingQuery(maxRuns: 10)
        let e401 = try failure(page(WESAdapter(), 401, #"{"msg": "Unauthorized", "status_code": 401}"#, query: q))
        #expect(e401.reason == .unauthorized && e401.message == "listing runs: Unauthorized" && e401.status == 401)
        let e429 = try failure(page(WESAdapter(), 429, "", query: q, headers: ["Retry-After": "7"]))
        #expect(e429.reason == .rateLimited && e429.retryAfter == 7)
        let reset = try failure(page(WESAdapter(), 429, "", query: q, headers: ["X-RateLimit-Reset": String(Int(testNow) + 30)]))
        #expect(reset.retryAfter == 30)
        let neither = try failure(page(WESAdapter(), 200, #"{"items": []}"#, query: q))
        #expect(neither.reason == .decode && neither.message == #"listing runs: the answer has neither "runs" nor "workflows""#)
        let html = try failure(page(WESAdapter(), 200, "<html><body>Login</body></html>", query: q))
        #expect(html.message.hasPrefix("listing runs: answer is an HTML page"))
        let loop = try failure(page(WESAdapter(), 200, #"{"runs": [], "next_page_token": "t"}"#, query: q, cursor: .pageToken("t")))
        #expect(loop.message.contains("repeats"))
        let array = try failure(page(WESAdapter(), 200, "[]", query: q))
        #expect(array.message == "listing runs: answer is an array, expected a JSON object")
    }

    // MARK: Instabase

    @Test func instabaseRequests() {
        let ib = InstabaseAdapter()
        var q = ListingQuery(maxRuns: 500, pageSize: 100, fromTimestamp: 1_768_212_000)
        #expect(ib.listRequest(q, cursor: nil).pathAndQuery == "/api/v2/apps/runs?from_timestamp=1768212000&limit=100&offset=0")
        q.appID = "app_1"
        q.deploymentID = "dep 2"
        q.statuses = ["RUNNING", "FAILED"]
        #expect(ib.listRequest(q, cursor: .offset(200)).pathAndQuery
            == "/api/v2/apps/runs?from_timestamp=1768212000&limit=100&offset=200&app_id=app_1&deployment_id=dep%202&status=RUNNING%2CFAILED")
    }

    @Test func instabasePagesByOffsetAndDecodesRunObjects() throws {
        let q = ListingQuery(maxRuns: 10, pageSize: 2, fromTimestamp: 0)
        let full = try decoded(page(InstabaseAdapter(), 200, """
            {"runs": [{"id": "a", "status": "COMPLETE", "start_timestamp": 1768467600000000000, "finish_timestamp": 1768469400123456789},
                      {"id": "b", "status": "RUNNING", "start_timestamp": 1768470000000000000, "finish_timestamp": null}]}
            """, query: q, cursor: .offset(4)))
        #expect(full.next == .offset(6))
        #expect(full.runs[0].observation == RunObservation(state: .succeeded, vendorState: "COMPLETE",
                                                           startTime: testNow - 3600, endTime: testNow - 1800 + 0.123456789))
        #expect(full.runs[1].observation == RunObservation(state: .running, vendorState: "RUNNING", startTime: testNow - 1200))
        let short = try decoded(page(InstabaseAdapter(), 200, #"{"runs": [{"id": "c", "status": 7}]}"#, query: q))
        // A run object that does not decode still names its run: it is polled on its own.
        #expect(short.runs == [ListedRun(runID: "c", observation: nil)] && short.next == nil)
        let e403 = try failure(page(InstabaseAdapter(), 403, #"{"message": "out of units"}"#, query: q))
        #expect(e403.reason == .forbidden && e403.message.contains("consumption units"))
        let missing = try failure(page(InstabaseAdapter(), 200, "{}", query: q))
        #expect(missing.message == #"listing runs: field "runs" is missing"#)
    }

    // MARK: Sequentum

    @Test func sequentumOneCallPerAgent() throws {
        let seq = SequentumAdapter()
        let q = ListingQuery(maxRuns: 100, agents: [7, 8], maxRecords: 25)
        #expect(seq.listRequest(q, cursor: nil).pathAndQuery == "/api/v1/agent/7/runs?maxRecords=25")
        #expect(seq.listRequest(q, cursor: .agent(index: 1)).pathAndQuery == "/api/v1/agent/8/runs?maxRecords=25")
        let first = try decoded(page(seq, 200, "[\(SequentumAdapterTests.example.replacingOccurrences(of: "\"status\": 0", with: "\"status\": 9"))]",
                                     query: q))
        #expect(first.runs.map(\.runID) == ["7/123"])
        #expect(first.runs[0].observation?.state == .succeeded && first.runs[0].observation?.vendorState == "Completed")
        #expect(first.next == .agent(index: 1))
        let second = try decoded(page(seq, 200, #"[{"id": 5, "status": 1}, {"id": "x"}]"#, query: q, cursor: .agent(index: 1)))
        #expect(second.runs.map(\.runID) == ["8/5"] && second.next == nil && second.skipped.count == 1)
        let problem = try failure(page(seq, 429, #"{"title": "Too Many Requests", "status": 429}"#, query: q,
                                       headers: ["Retry-After": "60"]))
        #expect(problem.reason == .rateLimited && problem.retryAfter == 60 && problem.message == "listing runs: Too Many Requests")
    }

    @Test func rateLimitRemainingHeader() {
        #expect(answer(200, "", headers: ["X-RateLimit-Remaining": " 42 "]).rateLimitRemaining == 42)
        #expect(answer(200, "", headers: ["x-ratelimit-remaining": "0"]).rateLimitRemaining == 0)
        #expect(answer(200, "", headers: ["X-RateLimit-Remaining": "-1"]).rateLimitRemaining == nil)
        #expect(answer(200, "", headers: ["X-RateLimit-Remaining": "99999999999999999999"]).rateLimitRemaining == nil)
        #expect(answer(200, "").rateLimitRemaining == nil)
    }
}
