import Testing
@testable import RunStatusModel

@Suite struct NexioAdapterTests {
    let nexio = NexioAdapter()
    static let runID = "990d0fae-dc17-43af-aaed-ff8b580c17ab"

    /// Verbatim from the Nexio document (vendor-docs/004_7d8d4a7531235912.txt).
    static let example = """
    {
      "run_id": "990d0fae-dc17-43af-aaed-ff8b580c17ab",
      "status": "queued",
      "environment": "test",
      "created_at": "2026-04-01T18:19:38.851Z"
    }
    """

    func decode(_ text: String, status: Int = 200, headers: [String: String] = [:]) -> Result<RunObservation, PollError> {
        nexio.decodeStatus(answer(status, text, headers: headers), runID: Self.runID, context: utc)
    }

    func body(_ status: String, extra: String = "") -> String {
        #"{"run_id": "\#(Self.runID)", "status": "\#(status)", "environment": "live", "created_at": "2026-04-01T18:19:38.851Z", "duration_ms": 61500, "completed_at": "2026-04-01T18:20:40.351Z"\#(extra)}"#
    }

    @Test func request() {
        #expect(nexio.statusRequest(runID: Self.runID) == VendorRequest(pathAndQuery: "/api/v1/runs/990d0fae-dc17-43af-aaed-ff8b580c17ab",
                                                                       headers: ["Accept": "application/json"]))
        #expect(nexio.validate(runID: Self.runID) == nil)
        #expect(nexio.validate(runID: "not-a-uuid-but-fine") == nil)
        for bad in ["", "a/b", "..", "a\tb"] { #expect(nexio.validate(runID: bad) != nil, "\(bad)") }
    }

    @Test func documentExample() throws {
        let o = try observed(decode(Self.example))
        #expect(o.state == .queued && o.vendorState == "queued" && o.mapped)
        #expect(close(o.startTime, 1_775_067_578.851) && o.endTime == nil && o.reportedDuration == nil)
    }

    @Test func statesMap() throws {
        let table: [(String, RunState)] = [
            ("queued", .queued), ("processing", .running), ("completed", .succeeded), ("degraded", .succeeded), ("failed", .failed),
        ]
        for (value, state) in table {
            let o = try observed(decode(body(value)))
            #expect(o.state == state && o.mapped && o.vendorState == value)
            #expect((o.endTime != nil) == state.isTerminal, "\(value)")
        }
        let new = try observed(decode(body("cancelled")))
        #expect(new.state == .unknown && !new.mapped && new.vendorState == "cancelled")
    }

    @Test func degradedIsASuccessWithItsTimes() throws {
        let o = try observed(decode(body("degraded", extra: #", "output": {"degradation_reason": "partial data"}"#)))
        #expect(o.state == .succeeded && o.vendorState == "degraded")
        #expect(close(o.startTime, 1_775_067_578.851) && close(o.endTime, 1_775_067_640.351) && o.reportedDuration == 61.5)
    }

    @Test func bothErrorShapes() throws {
        let nested = try failed(decode(#"{"error": {"code": "run_not_found", "message": "No run with that id"}}"#, status: 404))
        #expect(nested == PollError(.notFound, "run \(Self.runID): run_not_found: No run with that id", status: 404))
        let flat = try failed(decode(#"{"code": "invalid_api_key", "message": "The API key is not valid"}"#, status: 401))
        #expect(flat == PollError(.unauthorized, "run \(Self.runID): invalid_api_key: The API key is not valid", status: 401))
    }

    @Test func rateLimitResetFillsTheWait() throws {
        let epoch = try failed(decode(#"{"error": {"code": "rate_limited", "message": "Too many requests"}}"#, status: 429,
                                      headers: ["X-RateLimit-Reset": "\(Int(testNow) + 42)"]))
        #expect(epoch.reason == .rateLimited && epoch.retryAfter == 42)
        let relative = try failed(decode("{}", status: 429, headers: ["X-RateLimit-Reset": "15"]))
        #expect(relative.retryAfter == 15)
        let millis = try failed(decode("{}", status: 429, headers: ["X-RateLimit-Reset": "\(Int(testNow) * 1000 + 2500)"]))
        #expect(millis.retryAfter == 2.5)
        let past = try failed(decode("{}", status: 429, headers: ["X-RateLimit-Reset": "\(Int(testNow) - 10)"]))
        #expect(past.retryAfter == 0)
        let both = try failed(decode("{}", status: 429, headers: ["Retry-After": "5", "X-RateLimit-Reset": "15"]))
        #expect(both.retryAfter == 5)
        let garbage = try failed(decode("{}", status: 429, headers: ["X-RateLimit-Reset": "soon"]))
        #expect(garbage.retryAfter == nil && garbage.reason == .rateLimited)
    }

    @Test func authUnavailableIsATransientServerError() throws {
        let e = try failed(decode(#"{"error": {"code": "auth_unavailable", "message": "Authentication is temporarily unavailable"}}"#,
                                  status: 503, headers: ["Retry-After": "3"]))
        #expect(e == PollError(.serverError, "run \(Self.runID): auth_unavailable: Authentication is temporarily unavailable",
                               status: 503, retryAfter: 3))
        #expect(!e.reason.meansDown)
        let noHint = try failed(decode(#"{"code": "auth_unavailable", "message": "try later"}"#, status: 503))
        #expect(noHint.reason == .serverError && noHint.retryAfter == nil)
    }

    @Test func secretsEchoedByAServerAreHidden() throws {
        let e = try failed(decode(#"{"code": "invalid_api_key", "message": "Key nx_live_abc123 was revoked (Authorization: Bearer nx_live_abc123)"}"#, status: 401))
        #expect(!e.message.contains("abc123"))
        #expect(e.message.contains("was revoked"))
    }

    @Test func brokenAnswers() throws {
        #expect(try failed(decode(#"{"run_id": "x", "status": "completed", "created_at": "2026-04-01"}"#)).message
            == #"run 990d0fae-dc17-43af-aaed-ff8b580c17ab: field "created_at" is not an ISO 8601 time: "2026-04-01""#)
        #expect(try failed(decode(#"{"run_id": "x"}"#)).message.contains(#"field "status" is missing"#))
        #expect(try failed(decode(#"{"status": "queued", "duration_ms": {}}"#)).message.contains(#"field "duration_ms" is an object"#))
        let proxy = try failed(decode("<!DOCTYPE html><html><body><!-- cf --><h1>Attention Required!</h1></body></html>"))
        #expect(proxy.message == "run \(Self.runID): answer is an HTML page, not JSON: Attention Required!")
        #expect(try failed(decode(String(Self.example.dropLast(3)))).message.contains("truncated JSON"))
    }
}
