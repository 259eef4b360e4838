import Foundation
import Exposition
import RunStatusModel

/// Reads and validates a config file, collecting every problem rather than stopping at the first.
public struct ConfigLoader: Sendable {
    /// Looks up environment variables (injected so tests need not touch the process environment).
    public var environment: @Sendable (String) -> String?
    /// Tells whether a credentials file can be read.
    public var fileReadable: @Sendable (String) -> Bool

    public init(environment: @escaping @Sendable (String) -> String? = { ProcessInfo.processInfo.environment[$0] },
                fileReadable: @escaping @Sendable (String) -> Bool = { FileManager.default.isReadableFile(atPath: $0) }) {
        self.environment = environment
        self.fileReadable = fileReadable
    }

    public func load(path: String) throws(ConfigError) -> ExporterConfig {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigError(file: path, problems: [.init(path: "", message: "cannot read the file: \(Self.reason(error))")])
        }
        return try parse(Array(data), file: path)
    }

    public func parse(_ bytes: [UInt8], file: String) throws(ConfigError) -> ExporterConfig {
        let root: JSONValue
        do {
            root = try JSONValue.parse(bytes)
        } catch {
            let (line, column) = Self.lineAndColumn(of: error.offset, in: bytes)
            throw ConfigError(file: file, problems: [.init(path: "", message: "not valid JSON at line \(line), column \(column): \(error.message)")])
        }
        var v = Validator(loader: self)
        let config = v.config(root)
        if !v.problems.isEmpty { throw ConfigError(file: file, problems: v.problems) }
        return config
    }

    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return ns.localizedDescription
    }

    static func lineAndColumn(of offset: Int, in bytes: [UInt8]) -> (Int, Int) {
        var line = 1, column = 1
        for b in bytes.prefix(offset) {
            if b == 0x0A { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }
}

/// Walks the JSON tree; every accessor records a problem with its JSON path instead of throwing.
private struct Validator {
    let loader: ConfigLoader
    var problems: [ConfigError.Problem] = []

    init(loader: ConfigLoader) { self.loader = loader }

    mutating func problem(_ path: String, _ message: String) {
        problems.append(.init(path: path, message: message))
    }

    mutating func object(_ value: JSONValue, _ path: String, allowed: Set<String>) -> [(key: String, value: JSONValue)]? {
        guard let members = value.objectValue else {
            problem(path, "must be an object, not \(value.kindName)")
            return nil
        }
        var seen = Set<String>()
        for (key, _) in members {
            if !allowed.contains(key) {
                let hint = allowed.sorted().joined(separator: ", ")
                problem(join(path, key), "unknown key (known keys: \(hint))")
            }
            if !seen.insert(key).inserted { problem(join(path, key), "given more than once") }
        }
        return members
    }

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    mutating func string(_ value: JSONValue, _ path: String) -> String? {
        guard let s = value.stringValue else {
            problem(path, "must be a string, not \(value.kindName)")
            return nil
        }
        return s
    }

    mutating func duration(_ value: JSONValue?, _ path: String, default fallback: Double) -> Double {
        guard let value else { return fallback }
        guard let text = string(value, path) else { return fallback }
        guard let seconds = DurationText.seconds(text) else {
            problem(path, "\"\(text)\" is not a duration (use e.g. 500ms, 30s, 10m, 1h)")
            return fallback
        }
        guard seconds > 0 else {
            problem(path, "must be greater than zero")
            return fallback
        }
        return seconds
    }

    mutating func positiveInt(_ value: JSONValue?, _ path: String, default fallback: Int, max: Int) -> Int {
        guard let value else { return fallback }
        guard case .number = value, let n = value.int64Value else {
            problem(path, "must be a whole number, not \(value.kindName == "a number" ? "a fraction" : value.kindName)")
            return fallback
        }
        guard n >= 1, n <= Int64(max) else {
            problem(path, "must be between 1 and \(max), not \(n)")
            return fallback
        }
        return Int(n)
    }

    mutating func config(_ root: JSONValue) -> ExporterConfig {
        let keys: Set = ["poll_interval", "terminal_poll_interval", "timeout", "max_concurrency", "max_response_bytes", "targets"]
        guard object(root, "", allowed: keys) != nil else { return ExporterConfig(targets: []) }
        let poll = duration(root["poll_interval"], "poll_interval", default: ExporterConfig.defaultPollInterval)
        let terminal = duration(root["terminal_poll_interval"], "terminal_poll_interval", default: ExporterConfig.defaultTerminalPollInterval)
        let timeout = duration(root["timeout"], "timeout", default: ExporterConfig.defaultTimeout)
        let concurrency = positiveInt(root["max_concurrency"], "max_concurrency", default: ExporterConfig.defaultMaxConcurrency, max: 4096)
        let maxBytes = positiveInt(root["max_response_bytes"], "max_response_bytes", default: ExporterConfig.defaultMaxResponseBytes, max: 1 << 30)
        var targets: [TargetConfig] = []
        if let list = root["targets"] {
            if let items = list.arrayValue {
                if items.isEmpty { problem("targets", "must list at least one target") }
                var names = Set<String>()
                for (i, item) in items.enumerated() {
                    let path = "targets[\(i)]"
                    if let t = target(item, path, poll: poll, terminal: terminal, timeout: timeout) {
                        if !names.insert(t.name).inserted {
                            problem("\(path).name", "duplicate target name \"\(t.name)\"")
                        }
                        targets.append(t)
                    }
                }
            } else {
                problem("targets", "must be an array, not \(list.kindName)")
            }
        } else {
            problem("targets", "is required")
        }
        return ExporterConfig(pollInterval: poll, terminalPollInterval: terminal, timeout: timeout,
                              maxConcurrency: concurrency, maxResponseBytes: maxBytes, targets: targets)
    }

    mutating func target(_ value: JSONValue, _ path: String, poll: Double, terminal: Double, timeout: Double) -> TargetConfig? {
        let keys: Set = ["name", "vendor", "url", "auth", "headers", "timezone", "runs",
                         "poll_interval", "terminal_poll_interval", "timeout"]
        guard object(value, path, allowed: keys) != nil else { return nil }
        let before = problems.count

        var name = ""
        if let v = value["name"], let s = string(v, "\(path).name") {
            if s.isEmpty { problem("\(path).name", "must not be empty") }
            name = s
        } else if value["name"] == nil {
            problem("\(path).name", "is required")
        }

        var vendor: Vendor?
        if let v = value["vendor"], let s = string(v, "\(path).vendor") {
            vendor = Vendor(rawValue: s)
            if vendor == nil {
                problem("\(path).vendor", "unknown vendor \"\(s)\" (one of: \(Vendor.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
        } else if value["vendor"] == nil {
            problem("\(path).vendor", "is required")
        }

        var url = ""
        if let v = value["url"], let s = string(v, "\(path).url") {
            if let why = Self.urlProblem(s) { problem("\(path).url", why) }
            url = s.hasSuffix("/") ? String(s.dropLast()) : s
        } else if value["url"] == nil {
            problem("\(path).url", "is required")
        }

        let auth = value["auth"].map { self.auth($0, "\(path).auth") } ?? AuthConfig.none

        var headers: [String: String] = [:]
        if let h = value["headers"], let members = object(h, "\(path).headers", allowed: Set(h.objectValue?.map(\.key) ?? [])) {
            for (k, v) in members {
                let p = "\(path).headers.\(k)"
                guard let s = string(v, p) else { continue }
                if !Self.isHeaderName(k) { problem(p, "is not a valid header name") }
                if s.contains(where: { $0 == "\r" || $0 == "\n" }) { problem(p, "value must not contain line breaks") }
                headers[k] = s
            }
        }

        var zone = "UTC"
        if let v = value["timezone"], let s = string(v, "\(path).timezone") {
            if TimeZone(identifier: s) == nil { problem("\(path).timezone", "unknown time zone \"\(s)\" (use an IANA name such as Europe/Berlin)") }
            zone = s
        }

        var runs: [RunConfig] = []
        if let list = value["runs"] {
            if let items = list.arrayValue {
                var ids = Set<String>()
                for (i, item) in items.enumerated() {
                    let p = "\(path).runs[\(i)]"
                    guard let run = self.run(item, p) else { continue }
                    if let vendor, let why = vendor.adapter.validate(runID: run.id) {
                        problem(p, "malformed \(vendor.rawValue) run id \"\(run.id)\": \(why)")
                    }
                    if !ids.insert(run.id).inserted { problem(p, "duplicate run \"\(run.id)\"") }
                    runs.append(run)
                }
            } else {
                problem("\(path).runs", "must be an array, not \(list.kindName)")
            }
        } else {
            problem("\(path).runs", "is required")
        }

        let tPoll = duration(value["poll_interval"], "\(path).poll_interval", default: poll)
        let tTerminal = duration(value["terminal_poll_interval"], "\(path).terminal_poll_interval", default: terminal)
        let tTimeout = duration(value["timeout"], "\(path).timeout", default: timeout)

        guard problems.count == before, let vendor else { return nil }
        return TargetConfig(name: name, vendor: vendor, url: url, auth: auth, headers: headers, timeZone: zone, runs: runs,
                            pollInterval: tPoll, terminalPollInterval: tTerminal, timeout: tTimeout)
    }

    mutating func run(_ value: JSONValue, _ path: String) -> RunConfig? {
        if let s = value.stringValue {
            if s.isEmpty { problem(path, "run id must not be empty"); return nil }
            return RunConfig(id: s)
        }
        guard object(value, path, allowed: ["id", "labels"]) != nil else { return nil }
        guard let idValue = value["id"] else { problem("\(path).id", "is required"); return nil }
        guard let id = string(idValue, "\(path).id") else { return nil }
        if id.isEmpty { problem("\(path).id", "run id must not be empty"); return nil }
        var labels: [LabelPair] = []
        if let l = value["labels"], let members = object(l, "\(path).labels", allowed: Set(l.objectValue?.map(\.key) ?? [])) {
            for (k, v) in members {
                let p = "\(path).labels.\(k)"
                guard let s = string(v, p) else { continue }
                if !MetricNaming.isValidLabelName(k) {
                    problem(p, "is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)")
                } else if k.hasPrefix("__") || Self.reservedLabels.contains(k) {
                    problem(p, "label name is reserved (\(Self.reservedLabels.sorted().joined(separator: ", ")) and names starting with __)")
                }
                labels.append(LabelPair(k, s))
            }
        }
        return RunConfig(id: id, labels: labels)
    }

    static let reservedLabels: Set = ["vendor", "target", "run_id", "vendor_state", "state", "le", "job", "instance"]

    mutating func auth(_ value: JSONValue, _ path: String) -> AuthConfig {
        guard object(value, path, allowed: ["type", "credentials", "credentials_file", "credentials_env", "header"]) != nil else { return .none }
        guard let typeValue = value["type"] else { problem("\(path).type", "is required (none, bearer, apikey or header)"); return .none }
        guard let type = string(typeValue, "\(path).type") else { return .none }
        let sources: [(String, JSONValue)] = ["credentials", "credentials_file", "credentials_env"].compactMap { k in value[k].map { (k, $0) } }
        if type == "none" {
            for (k, _) in sources { problem("\(path).\(k)", "not allowed with auth type none") }
            if value["header"] != nil { problem("\(path).header", "only allowed with auth type header") }
            return .none
        }
        guard ["bearer", "apikey", "header"].contains(type) else {
            problem("\(path).type", "unknown auth type \"\(type)\" (one of: none, bearer, apikey, header)")
            return .none
        }
        if type != "header", value["header"] != nil { problem("\(path).header", "only allowed with auth type header") }
        guard sources.count == 1 else {
            problem(path, sources.isEmpty ? "needs one of credentials, credentials_file or credentials_env"
                                          : "give only one of credentials, credentials_file or credentials_env")
            return .none
        }
        let (key, raw) = sources[0]
        let p = "\(path).\(key)"
        guard let text = string(raw, p) else { return .none }
        let source: CredentialSource
        switch key {
        case "credentials":
            if text.isEmpty { problem(p, "must not be empty") }
            source = .inline(text)
        case "credentials_file":
            if text.isEmpty { problem(p, "must not be empty") } else if !loader.fileReadable(text) { problem(p, "file \"\(text)\" does not exist or is not readable") }
            source = .file(text)
        default:
            if text.isEmpty { problem(p, "must not be empty") } else if (loader.environment(text) ?? "").isEmpty { problem(p, "environment variable \(text) is not set or empty") }
            source = .environment(text)
        }
        switch type {
        case "bearer": return .bearer(source)
        case "apikey": return .apiKey(source)
        default:
            guard let h = value["header"] else { problem("\(path).header", "is required with auth type header"); return .none }
            guard let name = string(h, "\(path).header") else { return .none }
            if !Self.isHeaderName(name) { problem("\(path).header", "\"\(name)\" is not a valid header name") }
            return .header(name: name, source)
        }
    }

    static func urlProblem(_ s: String) -> String? {
        guard let comps = URLComponents(string: s), let scheme = comps.scheme?.lowercased() else {
            return "\"\(Redact.url(s))\" is not a URL"
        }
        guard scheme == "http" || scheme == "https" else { return "scheme must be http or https, not \(scheme)" }
        guard let host = comps.host, !host.isEmpty else { return "\"\(Redact.url(s))\" has no host" }
        if comps.query != nil || comps.fragment != nil { return "must not carry a query or fragment (it is a base URL)" }
        return nil
    }

    static func isHeaderName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }
}
