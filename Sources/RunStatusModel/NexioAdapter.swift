/// Nexio run status.
///
/// What the vendor does, as far as we know it (the server wins where it disagrees):
/// - `GET /api/v1/runs/{run_id}`, `Authorization: Bearer nx_test_…` (sandbox) or `nx_live_…` (production).
/// - `status`: queued, processing (running), completed, degraded (the same output plus
///   `output.degradation_reason`: a success with a warning), failed; anything else is unknown.
/// - `created_at` is the start (there is no started_at), `completed_at` the end, RFC 3339 with milliseconds;
///   `duration_ms` is the vendor's processing time, a different figure from end − start.
/// - Errors come nested (`{"error": {"code", "message"}}`) or flat (`{"code", "message"}`); 429 carries
///   `X-RateLimit-Reset` (when the window resets, not how long to wait); 503 `auth_unavailable` is transient.
/// - No list call is documented: run ids must be configured.
public struct NexioAdapter: VendorAdapter {
    public init() {}
    public var vendor: Vendor { .nexio }

    public func validate(runID: String) -> String? {
        if let problem = RunID.segmentProblem(runID, vendorName: "Nexio") { return problem }
        // Run ids are UUIDs; only what would break the path is refused, the server judges the rest.
        if runID.contains("/") { return "Nexio run id \(RunID.quoted(runID)) contains '/'" }
        return nil
    }

    public func statusRequest(runID: String) -> VendorRequest {
        VendorRequest(pathAndQuery: "/api/v1/runs/\(VendorRequest.percentEncoded(runID))", headers: VendorRequest.acceptJSON)
    }

    static let states: [String: RunState] = [
        "QUEUED": .queued,
        "PROCESSING": .running,
        "COMPLETED": .succeeded,
        "DEGRADED": .succeeded,  // the same output plus a degradation_reason: a success with a warning
        "FAILED": .failed,
    ]

    public func decodeStatus(_ response: VendorResponse, runID: String, context: DecodeContext) -> Result<RunObservation, PollError> {
        guard response.isSuccess else {
            // Nexio says when its rate window resets rather than how long to wait.
            let wait = response.retryAfter(now: context.now) ?? response.rateLimitReset(now: context.now)
            // A 503 (`auth_unavailable`) is transient: server_error, like any 5xx, with the wait if given.
            return .failure(response.failure(runID: runID, now: context.now, retryAfter: wait))
        }
        return Result { () throws(PollError) in try decode(response, runID: runID) }
    }

    private func decode(_ response: VendorResponse, runID: String) throws(PollError) -> RunObservation {
        let root = try response.jsonObject(runID: runID)
        let reader = FieldReader(runID: runID, status: response.status)
        guard let status = try reader.string(reader.required(root["status"], "status"), "status") else {
            throw reader.error("status", "is null")
        }
        let (state, mapped) = RunObservation.lookUp(status, in: Self.states)
        let durationMS = try reader.number(root["duration_ms"], "duration_ms")
        return .normalized(
            state: state, vendorState: status, mapped: mapped,
            start: try reader.isoTime(root["created_at"], "created_at"),
            end: try reader.isoTime(root["completed_at"], "completed_at"),
            reportedDuration: durationMS.map { $0 / 1000 })
    }
}
