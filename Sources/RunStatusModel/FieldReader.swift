/// Reads the fields of one vendor answer; every error names the run and the field, e.g.
/// `run 1001: field "start_timestamp" is not an integer`.
struct FieldReader {
    let runID: String
    let status: Int

    func error(_ field: String, _ problem: String) -> PollError {
        PollError.decode(run: runID, "field \"\(field)\" \(problem)", status: status)
    }

    /// The value, which must be present and not null (a state field).
    func required(_ value: JSONValue?, _ field: String) throws(PollError) -> JSONValue {
        guard let value else { throw error(field, "is missing") }
        if value.isNull { throw error(field, "is null") }
        return value
    }

    /// A string; nil when absent or null.
    func string(_ value: JSONValue?, _ field: String) throws(PollError) -> String? {
        guard let value, !value.isNull else { return nil }
        guard let s = value.stringValue else { throw error(field, "is \(value.kindName), expected a string") }
        return s
    }

    /// An object; nil when absent or null.
    func object(_ value: JSONValue?, _ field: String) throws(PollError) -> JSONValue? {
        guard let value, !value.isNull else { return nil }
        guard value.objectValue != nil else { throw error(field, "is \(value.kindName), expected an object") }
        return value
    }

    /// A finite number (or a string holding one); nil when absent or null.
    func number(_ value: JSONValue?, _ field: String) throws(PollError) -> Double? {
        guard let value, !value.isNull else { return nil }
        switch value {
        case .number, .string:
            guard let d = value.doubleValue, d.isFinite else { throw error(field, "is not a number: \(RunID.quoted(value.text))") }
            return d
        default:
            throw error(field, "is \(value.kindName), expected a number")
        }
    }

    /// An ISO 8601 / RFC 3339 time (zoneless means UTC); nil when absent, null or `""`.
    func isoTime(_ value: JSONValue?, _ field: String) throws(PollError) -> Double? {
        guard let text = try string(value, field), !text.trimmingSpaces.isEmpty else { return nil }
        guard let t = Timestamp.parseISO8601(text) else { throw error(field, "is not an ISO 8601 time: \(RunID.quoted(text))") }
        return t
    }

    /// Integer Unix nanoseconds read exactly (never through a Double: they pass 2^53); nil when
    /// absent, null or 0 (Instabase's "not yet").
    func unixNanoseconds(_ value: JSONValue?, _ field: String) throws(PollError) -> Int64? {
        guard let value, !value.isNull else { return nil }
        let text: Substring
        switch value {
        case .number(let t): text = Substring(t)
        case .string(let t): text = t.trimmingSpaces
        default: throw error(field, "is \(value.kindName), expected an integer")
        }
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) || (text.first == "-" && text.count > 1) else {
            throw error(field, "is not an integer: \(RunID.quoted(text))")
        }
        guard let ns = Int64(text) else {
            if text.dropFirst().utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { throw error(field, "does not fit in 64 bits: \(RunID.quoted(text))") }
            throw error(field, "is not an integer: \(RunID.quoted(text))")
        }
        guard ns >= 0 else { throw error(field, "is negative: \(ns)") }
        return ns == 0 ? nil : ns
    }
}

extension JSONValue {
    /// The value as short text for a message.
    var text: String {
        switch self {
        case .number(let t), .string(let t): t
        default: kindName
        }
    }
}
