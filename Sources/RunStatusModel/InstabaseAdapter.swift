/// Instabase AI Hub run status.
///
/// What the vendor does, as far as we know it (the server wins where it disagrees):
/// - `GET /api/v2/apps/runs/{run_id}`, `Authorization: Bearer <token>`, optional `IB-Context: <org or user id>`.
/// - `status`: PENDING (legacy; queued), RUNNING, PAUSED and STOPPED_AT_CHECKPOINT (waiting for human review;
///   paused), COMPLETE, FAILED, CANCELLED; anything else is unknown.
/// - `start_timestamp`, `finish_timestamp` are integer Unix **nanoseconds**: beyond 2^53, so they are read as
///   Int64, never through a Double. `finish_timestamp` is null, or 0, while the run goes on.
/// - Errors are `{"message": …}`. **403 means the account ran out of consumption units**, not a permission
///   problem: it is still counted as `forbidden`, with a message that says so.
/// - Runs are listed oldest first: `GET /api/v2/apps/runs?from_timestamp=S&limit=N&offset=K&status=…`, where the
///   filter times are **seconds** while run times are nanoseconds; the default window is the last 24 h.
public struct InstabaseAdapter: VendorAdapter {
    public init() {}
    public var vendor: Vendor { .instabase }

    public func validate(runID: String) -> String? {
        RunID.segmentProblem(runID, vendorName: "Instabase")
    }

    public func statusRequest(runID: String) -> VendorRequest {
        VendorRequest(pathAndQuery: "/api/v2/apps/runs/\(VendorRequest.percentEncoded(runID))", headers: VendorRequest.acceptJSON)
    }

    static let states: [String: RunState] = [
        "PENDING": .queued,  // legacy
        "RUNNING": .running,
        "PAUSED": .paused,
        "STOPPED_AT_CHECKPOINT": .paused,  // waiting for human review
        "COMPLETE": .succeeded,
        "FAILED": .failed,
        "CANCELLED": .cancelled,
    ]

    public func decodeStatus(_ response: VendorResponse, runID: String, context: DecodeContext) -> Result<RunObservation, PollError> {
        guard response.isSuccess else {
            let note = response.status == 403
                ? "the account has run out of consumption units (Instabase answers 403 for that; it is not a permission problem)"
                : nil
            return .failure(response.failure(runID: runID, now: context.now, note: note))
        }
        return Result { () throws(PollError) in try decode(response, runID: runID) }
    }

    private func decode(_ response: VendorResponse, runID: String) throws(PollError) -> RunObservation {
        let root = try response.jsonObject(runID: runID)
        return try Self.observation(root, FieldReader(runID: runID, status: response.status))
    }

    /// One run object: the status call's answer, and each entry of the runs list.
    static func observation(_ root: JSONValue, _ reader: FieldReader) throws(PollError) -> RunObservation {
        guard let status = try reader.string(reader.required(root["status"], "status"), "status") else {
            throw reader.error("status", "is null")
        }
        let (state, mapped) = RunObservation.lookUp(status, in: Self.states)
        // 0, like null, means "not yet".
        let start = try reader.unixNanoseconds(root["start_timestamp"], "start_timestamp")
        let finish = try reader.unixNanoseconds(root["finish_timestamp"], "finish_timestamp")
        return .normalized(state: state, vendorState: status, mapped: mapped,
                           start: start.map(Timestamp.seconds(fromUnixNanoseconds:)),
                           end: finish.map(Timestamp.seconds(fromUnixNanoseconds:)))
    }
}
