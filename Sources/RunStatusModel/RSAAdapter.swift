import Foundation

/// RSA Governance & Lifecycle ("Aveksa") `getRunStatus`.
///
/// What the vendor does, as far as we know it (the server wins where it disagrees):
/// - `GET /aveksa/command.submit?cmd=getRunStatus&run-id=N&format=json`, `Authorization: Bearer <token>` (the token
///   comes from `cmd=loginUser` and expires). Needs a user with System:Manage.
/// - Success is JSON when `format=json` was asked (fields under `data`, or flat) and `key=value` lines otherwise; a
///   server may ignore `format`, so both are read. Errors are **HTML** pages whatever was asked: 401 bad or expired
///   token, 404 unknown run id, 412 missing or non-numeric run id; the message is inside `<body>`.
/// - `overall-status`: New (queued), Running, Completed (succeeded), Aborted (failed); anything else is unknown.
/// - `start-time`, `completed-time` look like `2026-01-15 10:00:00`: no zone and no fraction, the server's local
///   time, so the zone is configurable (`timezone`, default UTC). `completed-time` is absent while running, and on
///   Aborted runs it equals `start-time`: a placeholder, not a measurement, so it is not reported as an end.
/// - No list call is documented: run ids must be configured. No reported duration.
public struct RSAAdapter: VendorAdapter {
    public init() {}
    public var vendor: Vendor { .rsa }

    public func validate(runID: String) -> String? {
        // The server parses run-id into a Java long and answers 412 otherwise.
        RunID.isDecimal(runID, max: .max) ? nil : "RSA run id \(RunID.quoted(runID)) is not a number (RSA run ids are integers)"
    }

    public func statusRequest(runID: String) -> VendorRequest {
        VendorRequest(pathAndQuery: "/aveksa/command.submit?cmd=getRunStatus&format=json&run-id=\(VendorRequest.percentEncoded(runID))",
                      headers: VendorRequest.acceptJSON)
    }

    static let states: [String: RunState] = [
        "NEW": .queued, "RUNNING": .running, "COMPLETED": .succeeded, "ABORTED": .failed,
    ]

    public func decodeStatus(_ response: VendorResponse, runID: String, context: DecodeContext) -> Result<RunObservation, PollError> {
        guard response.isSuccess else { return .failure(response.failure(runID: runID, now: context.now)) }
        return Result { () throws(PollError) in try decode(response, runID: runID, context: context) }
    }

    private func decode(_ response: VendorResponse, runID: String, context: DecodeContext) throws(PollError) -> RunObservation {
        let reader = FieldReader(runID: runID, status: response.status)
        let fields: Fields
        switch response.bodyKind {
        case .json:
            let root = try response.jsonObject(runID: runID)
            // Documented under `data`; a flat object is read too rather than failing on it.
            let data = try reader.object(root["data"], "data") ?? root
            let prefix = root["data"] == nil ? "" : "data."
            fields = Fields(
                status: try reader.string(reader.required(data["overall-status"], prefix + "overall-status"), prefix + "overall-status"),
                start: try reader.string(data["start-time"], prefix + "start-time"),
                completed: try reader.string(data["completed-time"], prefix + "completed-time"),
                prefix: prefix)
        case .text:
            let properties = Self.properties(response.body)
            guard let status = properties["overall-status"] else {
                throw reader.error("overall-status", "is missing (the answer is neither JSON nor key=value lines: \(response.errorText.map { RunID.quoted($0, limit: 80) } ?? "no text"))")
            }
            fields = Fields(status: status, start: properties["start-time"], completed: properties["completed-time"], prefix: "")
        case .html:
            throw PollError.decode(run: runID, "answer is an HTML page, not a run status: " + response.htmlSummary, status: response.status)
        case .empty:
            throw PollError.decode(run: runID, "empty answer", status: response.status)
        }

        guard let status = fields.status else { throw reader.error(fields.prefix + "overall-status", "is null") }
        let zone: TimeZone?
        if Self.utcNames.contains(context.timeZoneIdentifier) {
            zone = nil
        } else if let named = TimeZone(identifier: context.timeZoneIdentifier) {
            zone = named
        } else {
            throw PollError.decode(run: runID, "unknown time zone \(RunID.quoted(context.timeZoneIdentifier)) for RSA times", status: response.status)
        }
        let start = try time(fields.start, fields.prefix + "start-time", zone, reader)
        var end = try time(fields.completed, fields.prefix + "completed-time", zone, reader)
        let (state, mapped) = RunObservation.lookUp(status, in: Self.states)
        // Aborted runs report completed-time equal to start-time: a placeholder, not a measurement.
        if state == .failed, let s = start, end == s { end = nil }
        return .normalized(state: state, vendorState: status, mapped: mapped, start: start, end: end)
    }

    private struct Fields {
        var status: String?
        var start: String?
        var completed: String?
        var prefix: String
    }

    private func time(_ text: String?, _ field: String, _ zone: TimeZone?, _ reader: FieldReader) throws(PollError) -> Double? {
        guard let text, !text.trimmingSpaces.isEmpty else { return nil }
        let parsed = if let zone { Timestamp.parseLocal(text, in: zone) } else { Timestamp.parseISO8601(text) }
        guard let parsed else { throw reader.error(field, "is not a time like \"2026-01-15 10:00:00\": \(RunID.quoted(text))") }
        return parsed
    }

    /// Zone names read as UTC without a time zone look-up.
    static let utcNames: Set<String> = ["UTC", "Etc/UTC", "GMT", "Etc/GMT", ""]

    /// `key=value` lines, read as Java writes properties: `#`/`!` comments, `=` or `:` separating,
    /// backslash escapes (`10\:00\:00`), surrounding blanks ignored.
    static func properties(_ body: [UInt8]) -> [String: String] {
        var result: [String: String] = [:]
        let text = String(decoding: body, as: UTF8.self)
        for line in text.split(whereSeparator: \.isNewline) {  // "\r\n" is one Character
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" || $0 == "\u{FEFF}" })
            guard let first = trimmed.first, first != "#", first != "!" else { continue }
            var key = ""
            var value = ""
            var inKey = true
            var escaped = false
            var skippingBlanks = false
            for c in trimmed {
                if escaped {
                    let unescaped: Character = switch c {
                    case "t": "\t"
                    case "n": "\n"
                    case "r": "\r"
                    case "f": "\u{0C}"
                    default: c
                    }
                    if inKey { key.append(unescaped) } else { value.append(unescaped) }
                    escaped = false
                    skippingBlanks = false
                    continue
                }
                if c == "\\" { escaped = true; continue }
                if inKey, c == "=" || c == ":" {
                    inKey = false
                    skippingBlanks = true
                    continue
                }
                if skippingBlanks, c == " " || c == "\t" { continue }
                skippingBlanks = false
                if inKey { key.append(c) } else { value.append(c) }
            }
            guard !inKey else { continue }
            let name = String(key.trimmingSpaces)
            result[name] = String(value.trimmingSpaces)  // the last wins, as in java.util.Properties
        }
        return result
    }
}
