/// Sequentum Cloud run status.
///
/// What the vendor does, as far as we know it (the server wins where it disagrees):
/// - `GET /api/v1/agent/{agentId}/run/{runId}/status`, `Authorization: ApiKey <key>` (or `Bearer <jwt>`). The
///   configured run id is `AGENT/RUN`: agentId is a 32-bit integer, runId a 64-bit one.
/// - `status` is an integer, sometimes sent as a string holding one, or as its name: 0 Invalid, 1 Running,
///   2 Exporting, 3 Starting, 4 Queuing, 5 Stopping, 6 Failure, 7 Failed, 8 Stopped, 9 Completed, 10 Success,
///   11 Skipped, 12 Waiting. States do not move in order: a Failure (6) can be restarted in place and run again.
/// - `startTime`, `endTime`: ISO 8601 UTC, may carry fractions, both nullable. `runTimeSec` is the vendor's own
///   processing time (it excludes queueing, unlike end − start); `errorCount` its error count.
/// - Errors are RFC 7807 problem JSON; 429 carries `Retry-After`. The documented limit is 100 requests a minute
///   per key, which is this vendor's default rate budget.
/// - Runs are listed per agent, newest first: `GET /api/v1/agent/{agentId}/runs?maxRecords=N`.
public struct SequentumAdapter: VendorAdapter {
    public init() {}
    public var vendor: Vendor { .sequentum }

    public func validate(runID: String) -> String? {
        guard let (agent, run) = Self.split(runID) else {
            return "Sequentum run id \(RunID.quoted(runID)) must be AGENT/RUN, two integers (e.g. 42/1001)"
        }
        // The API types agentId as int32 and runId as int64.
        guard RunID.isDecimal(agent, max: Int64(Int32.max)) else {
            return "Sequentum agent id \(RunID.quoted(agent)) in run id \(RunID.quoted(runID)) is not a 32-bit integer"
        }
        guard RunID.isDecimal(run, max: .max) else {
            return "Sequentum run number \(RunID.quoted(run)) in run id \(RunID.quoted(runID)) is not a 64-bit integer"
        }
        return nil
    }

    static func split(_ runID: String) -> (Substring, Substring)? {
        let parts = runID.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        return (parts[0], parts[1])
    }

    public func statusRequest(runID: String) -> VendorRequest {
        let (agent, run) = Self.split(runID) ?? (Substring(runID), "")
        return VendorRequest(
            pathAndQuery: "/api/v1/agent/\(VendorRequest.percentEncoded(String(agent)))/run/\(VendorRequest.percentEncoded(String(run)))/status",
            headers: VendorRequest.acceptJSON)
    }

    /// Names of the documented integer states, in order, and their normalized states.
    static let names = [
        "Invalid", "Running", "Exporting", "Starting", "Queuing", "Stopping", "Failure",
        "Failed", "Stopped", "Completed", "Success", "Skipped", "Waiting",
    ]
    static let states: [RunState] = [
        .unknown, .running, .running, .running, .queued, .running, .failed,
        .failed, .cancelled, .succeeded, .succeeded, .cancelled, .queued,
    ]
    static let codeOfName: [String: Int] = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1.uppercased(), $0) })

    public func decodeStatus(_ response: VendorResponse, runID: String, context: DecodeContext) -> Result<RunObservation, PollError> {
        guard response.isSuccess else { return .failure(response.failure(runID: runID, now: context.now)) }
        return Result { () throws(PollError) in try decode(response, runID: runID) }
    }

    private func decode(_ response: VendorResponse, runID: String) throws(PollError) -> RunObservation {
        let root = try response.jsonObject(runID: runID)
        return try Self.observation(root, FieldReader(runID: runID, status: response.status))
    }

    /// One run object: the status call's answer, and each entry of the agent's runs list.
    static func observation(_ root: JSONValue, _ reader: FieldReader) throws(PollError) -> RunObservation {
        let (state, vendorState, mapped) = try Self.state(reader.required(root["status"], "status"), reader)
        return .normalized(
            state: state, vendorState: vendorState, mapped: mapped,
            start: try reader.isoTime(root["startTime"], "startTime"),
            end: try reader.isoTime(root["endTime"], "endTime"),
            reportedDuration: try reader.number(root["runTimeSec"], "runTimeSec"),
            reportedErrors: try reader.number(root["errorCount"], "errorCount"))
    }

    /// The state of `status`: an integer, a string of digits, or a name. The vendor state is the
    /// name (users know `Failure`, not 6); an unknown integer keeps its digits, an unknown name itself.
    static func state(_ value: JSONValue, _ reader: FieldReader) throws(PollError) -> (RunState, String, Bool) {
        let digits: Substring
        switch value {
        case .number(let text):
            digits = Substring(text)
        case .string(let text):
            let trimmed = text.trimmingSpaces
            if let code = codeOfName[trimmed.uppercased()] { return (states[code], names[code], true) }
            guard let first = trimmed.first, first.isASCIIDigit || first == "-" else { return (.unknown, String(trimmed), false) }
            digits = trimmed
        default:
            throw reader.error("status", "is \(value.kindName), expected an integer or a state name")
        }
        // 9.0 is 9; 9.5 or 1e400 is not a state at all.
        guard let code = JSONValue.number(String(digits)).int64Value else {
            let isInteger = digits.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 || $0 == UInt8(ascii: "-") }
            if isInteger { return (.unknown, String(digits), false) }
            throw reader.error("status", "is not an integer: \(RunID.quoted(digits))")
        }
        guard code >= 0, code < names.count else { return (.unknown, String(code), false) }
        return (states[Int(code)], names[Int(code)], true)
    }
}
