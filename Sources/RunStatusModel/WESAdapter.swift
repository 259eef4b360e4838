/// GA4GH WES (e.g. Cavatica / Seven Bridges, the GA4GH reference server).
///
/// What the servers do, as far as we know it (a real server wins where it disagrees):
/// - `GET {root}/runs/{id}/status` has only the state. The times come from `GET {root}/runs/{id}`
///   (`run_log.start_time`, `run_log.end_time`): the spec says RFC 3339, real servers write `""`, zoneless ISO
///   (taken as UTC) or epoch seconds as a string.
/// - Auth: Cavatica / Seven Bridges take `X-SBG-Auth-Token: <token>` (no scheme); other servers
///   `Authorization: Bearer <token>` or nothing.
/// - `state`: QUEUED, INITIALIZING / RUNNING / CANCELING (running), PAUSED, COMPLETE, EXECUTOR_ERROR /
///   SYSTEM_ERROR / PREEMPTED (failed), CANCELED, UNKNOWN or null (unknown). Some servers report INITIALIZING
///   before QUEUED.
/// - Errors are `{"msg": …, "status_code": …}`, both optional: 401, 403, 404, 500.
/// - Runs are listed newest first, page by page: `GET {root}/runs?page_size=N&page_token=T` gives
///   `{runs: [{run_id, state}], next_page_token}` (the reference server names the array `workflows`); an empty token
///   ends the list. A WES 1.0 listing has no times. The reference server answers RUNNING for an unknown run id.
public struct WESAdapter: VendorAdapter {
    public init() {}
    public var vendor: Vendor { .wes }

    public func validate(runID: String) -> String? {
        RunID.segmentProblem(runID, vendorName: "WES")
    }

    public func statusRequest(runID: String) -> VendorRequest {
        VendorRequest(pathAndQuery: "/runs/\(VendorRequest.percentEncoded(runID))/status", headers: VendorRequest.acceptJSON)
    }

    public func detailsRequest(runID: String) -> VendorRequest? {
        VendorRequest(pathAndQuery: "/runs/\(VendorRequest.percentEncoded(runID))", headers: VendorRequest.acceptJSON)
    }

    static let states: [String: RunState] = [
        "QUEUED": .queued,
        "INITIALIZING": .running, "RUNNING": .running, "CANCELING": .running,
        "PAUSED": .paused,
        "COMPLETE": .succeeded,
        "EXECUTOR_ERROR": .failed, "SYSTEM_ERROR": .failed, "PREEMPTED": .failed,
        "CANCELED": .cancelled,
        "UNKNOWN": .unknown,
    ]

    public func decodeStatus(_ response: VendorResponse, runID: String, context: DecodeContext) -> Result<RunObservation, PollError> {
        decode(response, runID: runID, context: context, details: false)
    }

    public func decodeDetails(_ response: VendorResponse, runID: String, context: DecodeContext) -> Result<RunObservation, PollError> {
        decode(response, runID: runID, context: context, details: true)
    }

    private func decode(_ response: VendorResponse, runID: String, context: DecodeContext, details: Bool) -> Result<RunObservation, PollError> {
        guard response.isSuccess else { return .failure(response.failure(runID: runID, now: context.now)) }
        do {
            let root = try response.jsonObject(runID: runID)
            let reader = FieldReader(runID: runID, status: response.status)
            let (state, vendorState, mapped) = try Self.state(root, reader)
            guard details else {
                return .success(.normalized(state: state, vendorState: vendorState, mapped: mapped,
                                            start: nil, end: nil, timesUnknown: true))
            }
            let log = try reader.object(root["run_log"], "run_log")
            return .success(.normalized(
                state: state, vendorState: vendorState, mapped: mapped,
                start: try Self.time(log?["start_time"], "run_log.start_time", reader),
                end: try Self.time(log?["end_time"], "run_log.end_time", reader)))
        } catch {
            return .failure(error)
        }
    }

    /// `state` must be present; null is the documented "don't know" and reads as UNKNOWN would.
    static func state(_ root: JSONValue, _ reader: FieldReader) throws(PollError) -> (RunState, String, Bool) {
        guard let value = root["state"] else { throw reader.error("state", "is missing") }
        guard let name = try reader.string(value, "state") else { return (.unknown, "null", true) }
        let (state, mapped) = RunObservation.lookUp(name, in: states)
        return (state, name, mapped)
    }

    /// A `run_log` time: `""`, null or absent is no time; digits are epoch seconds (string or
    /// number); anything else must be ISO 8601, read as UTC when zoneless.
    static func time(_ value: JSONValue?, _ field: String, _ reader: FieldReader) throws(PollError) -> Double? {
        guard let value, !value.isNull else { return nil }
        let text: Substring
        switch value {
        case .string(let s): text = s.trimmingSpaces
        case .number(let s): text = Substring(s)
        default: throw reader.error(field, "is \(value.kindName), expected a time")
        }
        // Python servers have been seen writing their None.
        if text.isEmpty || text == "None" || text == "null" { return nil }
        if let seconds = Timestamp.parseEpochSeconds(text) ?? Timestamp.parseISO8601(text) { return seconds }
        throw reader.error(field, "is not a time (RFC 3339 or epoch seconds): \(RunID.quoted(text))")
    }
}
