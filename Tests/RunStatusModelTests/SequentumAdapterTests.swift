import Testing
@testable import RunStatusModel

@Suite struct SequentumAdapterTests {
    let sequentum = SequentumAdapter()

    /// Verbatim from the Sequentum document (vendor-docs/001_7d1e598893b4abf6.txt).
    static let example = """
    {
      "id": 123,
      "configId": 123,
      "configName": "<string>",
      "spaceId": 123,
      "organizationId": 123,
      "organizationName": "<string>",
      "sequence": 123,
      "parallelism": 123,
      "parallelMaxConcurrency": 123,
      "parallelExport": "Combined",
      "parallelSet": 123,
      "startTime": "2023-11-07T05:31:56Z",
      "endTime": "2023-11-07T05:31:56Z",
      "created": "2023-11-07T05:31:56Z",
      "status": 0,
      "message": "<string>",
      "configVersion": 123,
      "actionCount": 123,
      "pageCount": 123,
      "dynamicPageCount": 123,
      "requestCount": 123,
      "dataCount": 123,
      "inputCount": 123,
      "errorCount": 123,
      "exportCount": 123,
      "traffic": 123,
      "runTimeSec": 123,
      "serverName": "<string>",
      "tableType": "<string>"
    }
    """

    func body(status: String, start: String = "\"2023-11-07T05:31:56Z\"", end: String = "\"2023-11-07T06:31:56.5Z\"") -> String {
        #"{"id": 1001, "status": \#(status), "startTime": \#(start), "endTime": \#(end), "errorCount": 2, "runTimeSec": 3600}"#
    }

    func decode(_ text: String, status: Int = 200, headers: [String: String] = [:]) -> Result<RunObservation, PollError> {
        sequentum.decodeStatus(answer(status, text, headers: headers), runID: "42/1001", context: utc)
    }

    @Test func runIDIsAgentSlashRun() {
        #expect(sequentum.validate(runID: "42/1001") == nil)
        for bad in ["1001", "42/", "/1001", "a/1", "1/b", "42/1001/3", "-1/2", "4294967296/1", "1/99999999999999999999", ""] {
            #expect(sequentum.validate(runID: bad) != nil, "\(bad)")
        }
        let request = sequentum.statusRequest(runID: "42/1001")
        #expect(request == VendorRequest(pathAndQuery: "/api/v1/agent/42/run/1001/status", headers: ["Accept": "application/json"]))
    }

    @Test func documentExample() throws {
        let o = try observed(decode(Self.example))
        // 0 is Invalid: unknown, yet a documented value; the run is not over, so no end time.
        #expect(o == RunObservation(state: .unknown, vendorState: "Invalid", mapped: true, startTime: 1_699_335_116,
                                    endTime: nil, reportedDuration: 123, reportedErrors: 123))
    }

    @Test func everyIntegerMapsToItsNameAndState() throws {
        let expected: [(String, RunState)] = [
            ("Invalid", .unknown), ("Running", .running), ("Exporting", .running), ("Starting", .running),
            ("Queuing", .queued), ("Stopping", .running), ("Failure", .failed), ("Failed", .failed),
            ("Stopped", .cancelled), ("Completed", .succeeded), ("Success", .succeeded), ("Skipped", .cancelled),
            ("Waiting", .queued),
        ]
        for (code, (name, state)) in expected.enumerated() {
            for form in ["\(code)", "\"\(code)\"", "\"\(name)\"", "\"\(name.uppercased())\""] {
                let o = try observed(decode(body(status: form)))
                #expect(o.vendorState == name && o.state == state && o.mapped, "\(form)")
                #expect((o.endTime != nil) == state.isTerminal, "\(form)")
            }
        }
    }

    @Test func completedCarriesTimesDurationAndErrors() throws {
        let o = try observed(decode(body(status: "9")))
        #expect(o == RunObservation(state: .succeeded, vendorState: "Completed", startTime: 1_699_335_116,
                                    endTime: 1_699_338_716.5, reportedDuration: 3600, reportedErrors: 2))
    }

    @Test func unknownValuesAreCountedNotFailed() throws {
        let thirteen = try observed(decode(body(status: "13")))
        #expect(thirteen.state == .unknown && !thirteen.mapped && thirteen.vendorState == "13")
        let negative = try observed(decode(body(status: "-1")))
        #expect(negative.vendorState == "-1" && !negative.mapped)
        let huge = try observed(decode(body(status: "123456789012345678901234567890")))
        #expect(huge.vendorState == "123456789012345678901234567890" && !huge.mapped)
        let name = try observed(decode(body(status: "\"Paused\"")))
        #expect(name == RunObservation(state: .unknown, vendorState: "Paused", mapped: false, startTime: 1_699_335_116,
                                       reportedDuration: 3600, reportedErrors: 2))
    }

    @Test func restartedFailureDropsItsStaleEnd() throws {
        let failure = try observed(decode(body(status: "6")))
        #expect(failure.state == .failed && failure.endTime != nil)
        let restarted = try observed(decode(body(status: "1")))
        #expect(restarted.state == .running && restarted.endTime == nil)
    }

    @Test func timesAreNullable() throws {
        let o = try observed(decode(body(status: "4", start: "null", end: "null")))
        #expect(o.startTime == nil && o.endTime == nil && o.state == .queued)
        let dotnet = try observed(decode(body(status: "10", start: "\"2023-11-07T05:31:56.1234567\"", end: "\"2023-11-07T05:32:56\"")))
        #expect(close(dotnet.startTime, 1_699_335_116.1234567) && dotnet.endTime == 1_699_335_176)
    }

    @Test func brokenFieldsAreNamed() throws {
        #expect(try failed(decode(body(status: "9", start: "\"yesterday\""))).message
            == #"run 42/1001: field "startTime" is not an ISO 8601 time: "yesterday""#)
        #expect(try failed(decode(body(status: "9.5"))).message == #"run 42/1001: field "status" is not an integer: "9.5""#)
        #expect(try failed(decode(body(status: "true"))).message.contains(#"field "status" is a boolean"#))
        #expect(try failed(decode(#"{"id": 1}"#)).message == #"run 42/1001: field "status" is missing"#)
        #expect(try failed(decode(#"{"status": 9, "runTimeSec": "fast"}"#)).message.contains(#"field "runTimeSec""#))
    }

    @Test func problemJSONErrors() throws {
        let notFound = try failed(decode(#"{"type": "https://tools.ietf.org/html/rfc7231#section-6.5.4", "title": "Not Found", "status": 404, "detail": "Run 1001 was not found for agent 42."}"#,
                                         status: 404, headers: ["Content-Type": "application/problem+json"]))
        #expect(notFound == PollError(.notFound, "run 42/1001: Not Found: Run 1001 was not found for agent 42.", status: 404))
        let limited = try failed(decode(#"{"title": "Too Many Requests", "status": 429}"#, status: 429, headers: ["Retry-After": "30"]))
        #expect(limited == PollError(.rateLimited, "run 42/1001: Too Many Requests", status: 429, retryAfter: 30))
        let dated = try failed(decode("", status: 429, headers: ["Retry-After": "Thu, 15 Jan 2026 10:01:30 GMT"]))
        #expect(dated.retryAfter == 90 && dated.message == "run 42/1001: no error text in the answer")
        let unauthorized = try failed(decode(#"{"title": "Unauthorized", "status": 401}"#, status: 401))
        #expect(unauthorized.reason == .unauthorized)
    }

    @Test func proxyPagesAndTruncatedBodies() throws {
        let gateway = try failed(decode("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>", status: 502))
        #expect(gateway == PollError(.serverError, "run 42/1001: 502 Bad Gateway nginx", status: 502))
        let cut = try failed(decode(String(Self.example.prefix(300))))
        #expect(cut.reason == .decode && cut.message.hasPrefix("run 42/1001: answer is truncated JSON"))
        let array = try failed(decode("[1, 2]"))
        #expect(array.message == "run 42/1001: answer is an array, expected a JSON object")
    }
}
