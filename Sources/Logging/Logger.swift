import Foundation

/// Structured logs on stderr, logfmt or JSON, in the style of Prometheus' own exporters.
/// Fields are plain strings the caller chose; no header or credential is ever passed in. Vendor text can still
/// carry one (an error page echoing our token), so every value, and then every finished line, passes the
/// redactor: known secrets are hidden by value at every level and in both formats.
public struct Logger: Sendable {
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case debug, info, warn, error
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        public var name: String { ["debug", "info", "warn", "error"][rawValue] }
        public init?(name: String) {
            guard let l = Level.allCases.first(where: { $0.name == name }) else { return nil }
            self = l
        }
    }

    public enum Format: String, Sendable { case logfmt, json }

    public var level: Level
    public var format: Format
    /// Where finished lines go (stderr by default; tests capture them).
    public var sink: @Sendable (String) -> Void
    /// The secrets this logger hides; shared with whatever reads credentials (`Credentials`, `ConfigLoader`).
    public var redactor: SecretRedactor

    public init(level: Level = .info, format: Format = .logfmt, redactor: SecretRedactor = SecretRedactor(),
                sink: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        self.level = level
        self.format = format
        self.redactor = redactor
        self.sink = sink
    }

    public func debug(_ msg: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.debug, msg, fields) }
    public func info(_ msg: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.info, msg, fields) }
    public func warn(_ msg: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.warn, msg, fields) }
    public func error(_ msg: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.error, msg, fields) }

    public func log(_ level: Level, _ msg: String, _ fields: KeyValuePairs<String, String>) {
        guard level >= self.level else { return }
        let time = Self.timestamp(Date())
        // Values first (vendor text as the vendor wrote it), then the line (a secret split by escaping).
        var pairs: [(String, String)] = [("time", time), ("level", level.name), ("msg", redactor.redact(msg))]
        for (k, v) in fields { pairs.append((k, redactor.redact(v))) }
        let line: String
        switch format {
        case .logfmt:
            line = pairs.map { "\($0.0)=\(Self.logfmtValue($0.1))" }.joined(separator: " ")
        case .json:
            line = "{" + pairs.map { "\"\(Self.jsonEscape($0.0))\":\"\(Self.jsonEscape($0.1))\"" }.joined(separator: ",") + "}"
        }
        sink(redactor.redact(line))
    }

    static func logfmtValue(_ v: String) -> String {
        let needsQuotes = v.isEmpty || v.contains(where: { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.asciiValue.map { $0 < 0x20 } ?? false })
        return needsQuotes ? "\"" + jsonEscape(v) + "\"" : v
    }

    /// The inside of a JSON string literal. Also the vendor simulator's, for its answers.
    package static func jsonEscape(_ s: String) -> String {
        // Nearly every value needs no escaping: skip the per-scalar rebuild (it dominated 10,000-run simulator
        // benchmarks).
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func timestamp(_ date: Date) -> String {
        let t = date.timeIntervalSince1970
        let secs = Int(t.rounded(.down))
        let millis = Int((t - Double(secs)) * 1000)
        var tm = tm()
        var time = time_t(secs)
        gmtime_r(&time, &tm)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1,
                      Int(tm.tm_mday), Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec), millis)
    }
}
