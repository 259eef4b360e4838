import Testing
@testable import RunStatusModel

@Suite struct WESAdapterTests {
    let wes = WESAdapter()
    static let runID = "40a9c1a6-9263-4982-a574-e494f7c4b621"

    /// The example response of the Cavatica document (vendor-docs/003_d0916ee41ba3e782.txt), where it
    /// sits JSON-escaped inside the page's own JSON; this is the text it encodes.
    static let example = "{\n \"state\": \"COMPLETE\",\n \"run_id\": \"40a9c1a6-9263-4982-a574-e494f7c4b621\"\n}"

    func status(_ text: String, status: Int = 200) -> Result<RunObservation, PollError> {
        wes.decodeStatus(answer(status, text), runID: Self.runID, context: utc)
    }

    func details(state: String = "\"COMPLETE\"", start: String, end: String) -> Result<RunObservation, PollError> {
        let body = #"{"run_id": "\#(Self.runID)", "request": {"workflow_url": "main.cwl"}, "state": \#(state), "run_log": {"name": "main", "cmd": [], "start_time": \#(start), "end_time": \#(end), "exit_code": 0}, "task_logs": [], "outputs": {}}"#
        return wes.decodeDetails(answer(200, body), runID: Self.runID, context: utc)
    }

    @Test func requests() {
        #expect(wes.statusRequest(runID: Self.runID).pathAndQuery == "/runs/40a9c1a6-9263-4982-a574-e494f7c4b621/status")
        #expect(wes.detailsRequest(runID: Self.runID)?.pathAndQuery == "/runs/40a9c1a6-9263-4982-a574-e494f7c4b621")
        #expect(wes.statusRequest(runID: "a/b").pathAndQuery == "/runs/a%2Fb/status")
        #expect(wes.validate(runID: Self.runID) == nil && wes.validate(runID: "..") != nil && wes.validate(runID: "") != nil)
    }

    @Test func documentExampleHasNoTimes() throws {
        let o = try observed(status(Self.example))
        #expect(o == RunObservation(state: .succeeded, vendorState: "COMPLETE", timesUnknown: true))
    }

    @Test func statesMap() throws {
        let table: [(String, RunState, Bool)] = [
            ("QUEUED", .queued, true), ("INITIALIZING", .running, true), ("RUNNING", .running, true),
            ("CANCELING", .running, true), ("PAUSED", .paused, true), ("COMPLETE", .succeeded, true),
            ("EXECUTOR_ERROR", .failed, true), ("SYSTEM_ERROR", .failed, true), ("PREEMPTED", .failed, true),
            ("CANCELED", .cancelled, true), ("UNKNOWN", .unknown, true), ("ARCHIVED", .unknown, false),
        ]
        for (value, state, mapped) in table {
            let o = try observed(status(#"{"run_id": "x", "state": "\#(value)"}"#))
            #expect(o == RunObservation(state: state, vendorState: value, mapped: mapped, timesUnknown: true))
        }
    }

    @Test func nullStateIsUnknown() throws {
        let o = try observed(status(#"{"run_id": "x", "state": null}"#))
        #expect(o == RunObservation(state: .unknown, vendorState: "null", mapped: true, timesUnknown: true))
        #expect(try failed(status(#"{"run_id": "x"}"#)).message == "run \(Self.runID): field \"state\" is missing")
        #expect(try failed(status(#"{"run_id": "x", "state": 3}"#)).message.contains("field \"state\" is a number"))
    }

    @Test func detailTimesInEveryFormServersUse() throws {
        let forms: [(String, Double?)] = [
            (#""""#, nil),  // wes-service
            ("null", nil),
            (#""None""#, nil),
            (#""2026-01-15T10:00:00Z""#, 1_768_471_200),
            (#""2026-01-15T11:00:00.250+01:00""#, 1_768_471_200.25),
            (#""2026-01-15T10:00:00""#, 1_768_471_200),  // zoneless: UTC
            (#""2026-01-15 10:00:00""#, 1_768_471_200),
            (#""1768471200""#, 1_768_471_200),  // epoch seconds as a string
            (#""1768471200.5""#, 1_768_471_200.5),
            ("1768471200", 1_768_471_200),  // or as a number
        ]
        for (form, seconds) in forms {
            let o = try observed(details(start: form, end: form))
            #expect(o.startTime == seconds && o.endTime == seconds && !o.timesUnknown, "\(form)")
            #expect(o.state == .succeeded)
        }
    }

    @Test func runningDetailsHaveNoEnd() throws {
        let o = try observed(details(state: "\"RUNNING\"", start: #""2026-01-15T10:00:00Z""#, end: #""2026-01-15T10:05:00Z""#))
        #expect(o == RunObservation(state: .running, vendorState: "RUNNING", startTime: 1_768_471_200))
        let noLog = try observed(wes.decodeDetails(answer(200, #"{"run_id": "x", "state": "QUEUED"}"#), runID: "x", context: utc))
        #expect(noLog == RunObservation(state: .queued, vendorState: "QUEUED"))
    }

    @Test func brokenDetailTimesAreNamed() throws {
        #expect(try failed(details(start: #""last tuesday""#, end: #""""#)).message
            == #"run 40a9c1a6-9263-4982-a574-e494f7c4b621: field "run_log.start_time" is not a time (RFC 3339 or epoch seconds): "last tuesday""#)
        #expect(try failed(details(start: "{}", end: "null")).message.contains(#"field "run_log.start_time" is an object"#))
        #expect(try failed(details(start: "-1", end: "null")).message.contains("run_log.start_time"))
        let badLog = wes.decodeDetails(answer(200, #"{"state": "RUNNING", "run_log": "none"}"#), runID: "x", context: utc)
        #expect(try failed(badLog).message == #"run x: field "run_log" is a string, expected an object"#)
    }

    @Test func errors() throws {
        let cases: [(Int, PollErrorReason)] = [(401, .unauthorized), (403, .forbidden), (404, .notFound), (500, .serverError)]
        for (code, reason) in cases {
            let e = try failed(status(#"{"msg": "The requested run wasn't found", "status_code": \#(code)}"#, status: code))
            #expect(e == PollError(reason, "run \(Self.runID): The requested run wasn't found", status: code))
        }
        // Both fields are optional; JSON of no known shape is shown as it came.
        #expect(try failed(status(#"{"status_code": 404}"#, status: 404)).message == #"run \#(Self.runID): {"status_code": 404}"#)
        #expect(try failed(status("{}", status: 500)).reason == .serverError)
        let detailsError = wes.decodeDetails(answer(403, #"{"msg": "Forbidden"}"#), runID: "x", context: utc)
        #expect(try failed(detailsError) == PollError(.forbidden, "run x: Forbidden", status: 403))
    }
}
