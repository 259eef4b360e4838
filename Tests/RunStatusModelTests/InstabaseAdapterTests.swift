import Testing
@testable import RunStatusModel

@Suite struct InstabaseAdapterTests {
    let instabase = InstabaseAdapter()

    /// From the Instabase document (vendor-docs/002_3446504516cd5f56.txt), verbatim but for the
    /// line numbers its code viewer prints at the start of each line.
    static let example = """
    {
     "id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
     "status": "CANCELLED",
     "start_timestamp": 1689000000000000000,
     "finish_timestamp": 1689003600000000000,
     "msg": "Run was cancelled by user before completion.",
     "batch_id": 4523,
     "input_dir": "/data/input/batch_4523",
     "app_id": "app_9876543210",
     "deployment_id": "deploy_1234567890",
     "tags": [
     "urgent",
     "clientA"
     ]
    }
    """
    static let runID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"

    func decode(_ text: String, status: Int = 200, headers: [String: String] = [:]) -> Result<RunObservation, PollError> {
        instabase.decodeStatus(answer(status, text, headers: headers), runID: Self.runID, context: utc)
    }

    func body(_ status: String, start: String = "1689000000123456789", finish: String = "1689003600987654321") -> String {
        #"{"id": "\#(Self.runID)", "status": "\#(status)", "start_timestamp": \#(start), "finish_timestamp": \#(finish)}"#
    }

    @Test func requestEncodesTheRunID() {
        #expect(instabase.statusRequest(runID: Self.runID).pathAndQuery == "/api/v2/apps/runs/a1b2c3d4-e5f6-7890-abcd-ef1234567890")
        #expect(instabase.statusRequest(runID: "a b/c?d#e%").pathAndQuery == "/api/v2/apps/runs/a%20b%2Fc%3Fd%23e%25")
        #expect(instabase.statusRequest(runID: "é").pathAndQuery == "/api/v2/apps/runs/%C3%A9")
        #expect(instabase.validate(runID: Self.runID) == nil)
        for bad in ["", ".", "..", "a\nb"] { #expect(instabase.validate(runID: bad) != nil, "\(bad)") }
    }

    @Test func documentExample() throws {
        let o = try observed(decode(Self.example))
        #expect(o == RunObservation(state: .cancelled, vendorState: "CANCELLED", startTime: 1_689_000_000, endTime: 1_689_003_600))
    }

    @Test func nanosecondsAreReadExactly() throws {
        // 1689000000123456789 is not a Double: through one it would read ...456768.
        let o = try observed(decode(body("COMPLETE")))
        let start = try #require(o.startTime), end = try #require(o.endTime)
        #expect(start.rounded(.down) == 1_689_000_000 && abs(start - 1_689_000_000 - 0.123_456_789) < 1e-6)
        #expect(end.rounded(.down) == 1_689_003_600 && abs(end - 1_689_003_600 - 0.987_654_321) < 1e-6)
        let reader = FieldReader(runID: "r", status: 200)
        #expect(try reader.unixNanoseconds(.number("1689000000123456789"), "start_timestamp") == 1_689_000_000_123_456_789)
        #expect(try reader.unixNanoseconds(.string("1689000000123456789"), "start_timestamp") == 1_689_000_000_123_456_789)
        #expect(try reader.unixNanoseconds(.number("9223372036854775807"), "start_timestamp") == .max)
    }

    @Test func statesMap() throws {
        let table: [(String, RunState)] = [
            ("PENDING", .queued), ("RUNNING", .running), ("PAUSED", .paused), ("STOPPED_AT_CHECKPOINT", .paused),
            ("COMPLETE", .succeeded), ("FAILED", .failed), ("CANCELLED", .cancelled),
        ]
        for (value, state) in table {
            let o = try observed(decode(body(value)))
            #expect(o.state == state && o.mapped && o.vendorState == value)
            #expect((o.endTime != nil) == state.isTerminal, "\(value)")
        }
        let new = try observed(decode(body("ARCHIVED")))
        #expect(new.state == .unknown && !new.mapped && new.vendorState == "ARCHIVED" && new.endTime == nil)
    }

    @Test func finishNullOrZeroMeansNoEnd() throws {
        for finish in ["null", "0"] {
            let o = try observed(decode(body("RUNNING", finish: finish)))
            #expect(o.endTime == nil && o.startTime != nil, "\(finish)")
        }
        let queued = try observed(decode(body("PENDING", start: "0", finish: "0")))
        #expect(queued.startTime == nil && queued.state == .queued)
        let missing = try observed(decode(#"{"status": "RUNNING"}"#))
        #expect(missing == RunObservation(state: .running, vendorState: "RUNNING"))
    }

    @Test func brokenTimestampsAreNamed() throws {
        let cases: [(String, String)] = [
            ("1.689e18", #"field "start_timestamp" is not an integer: "1.689e18""#),
            ("\"soon\"", #"field "start_timestamp" is not an integer: "soon""#),
            ("99999999999999999999", #"field "start_timestamp" does not fit in 64 bits: "99999999999999999999""#),
            ("-5", #"field "start_timestamp" is negative: -5"#),
            ("[]", #"field "start_timestamp" is an array, expected an integer"#),
        ]
        for (start, problem) in cases {
            #expect(try failed(decode(body("RUNNING", start: start))).message == "run \(Self.runID): \(problem)")
        }
    }

    @Test func forbiddenMeansNoConsumptionUnitsLeft() throws {
        let e = try failed(decode(#"{"message": "Insufficient consumption units"}"#, status: 403))
        #expect(e.reason == .forbidden && e.status == 403)
        #expect(e.message.contains("consumption units") && e.message.contains("not a permission problem"))
        #expect(e.message.hasSuffix("Insufficient consumption units"))
    }

    @Test func errorMessages() throws {
        #expect(try failed(decode(#"{"message": "Run not found"}"#, status: 404))
            == PollError(.notFound, "run \(Self.runID): Run not found", status: 404))
        #expect(try failed(decode(#"{"message": "invalid token"}"#, status: 401)).reason == .unauthorized)
        let limited = try failed(decode(#"{"message": "slow down"}"#, status: 429, headers: ["retry-after": "7"]))
        #expect(limited.reason == .rateLimited && limited.retryAfter == 7)
        #expect(try failed(decode(#"{"message": "oops"}"#, status: 500)).reason == .serverError)
        #expect(try failed(decode(#"{"message": "bad"}"#, status: 422)).reason == .badRequest)
        #expect(try failed(decode(#"{"id": "x"}"#)).message == "run \(Self.runID): field \"status\" is missing")
        #expect(try failed(decode(#"{"status": null}"#)).message == "run \(Self.runID): field \"status\" is null")
    }
}
