import Exposition
import Foundation
import Logging
import RunStatusModel

/// Reads and validates a config file, collecting every problem rather than stopping at the first.
public struct ConfigLoader: Sendable {
    /// Looks up environment variables (injected so tests need not touch the process environment).
    public var environment: @Sendable (String) -> String?
    /// Reads a credentials file whole (injected likewise); the loader checks what it holds, as each poll would.
    public var readFile: @Sendable (String) -> Result<[UInt8], CredentialError>
    /// Learns every secret the config names (inline, file, environment, header values), even in a config that
    /// turns out invalid, so whatever prints the problems can hide them.
    public var redactor: SecretRedactor?

    public init(environment: @escaping @Sendable (String) -> String? = { ProcessInfo.processInfo.environment[$0] },
                readFile: @escaping @Sendable (String) -> Result<[UInt8], CredentialError> = Credentials.readFile,
                redactor: SecretRedactor? = nil) {
        self.environment = environment
        self.readFile = readFile
        self.redactor = redactor
    }

    var credentials: Credentials { Credentials(environment: environment, readFile: readFile, redactor: redactor) }

    public func load(path: String) throws(ConfigError) -> ExporterConfig {
        try parse(Self.readConfigFile(path), file: path)
    }

    /// The bytes of a JSON config file (the exporter's or the web config), or what is wrong in plain words:
    /// Foundation's own text for a directory is "NSCocoaErrorDomain error 256".
    package static func readConfigFile(_ path: String) throws(ConfigError) -> [UInt8] {
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            throw ConfigError(file: path, problems: [.init(path: "", message: "is a directory, not a config file; give the path of the JSON file")])
        }
        do {
            return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ConfigError(file: path, problems: [.init(path: "", message: "cannot read the file: \(Self.reason(error))")])
        }
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

    package static func lineAndColumn(of offset: Int, in bytes: [UInt8]) -> (Int, Int) {
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
    /// The secrets of this file alone, to check that none of them went into a label or a page.
    let secrets = SecretRedactor()

    init(loader: ConfigLoader) { self.loader = loader }

    /// `checkShown`: also refuse it in names, URLs, run ids and labels (credentials; a static header's value, such
    /// as an org name, may well be a target's name too).
    func learnSecret(_ value: String, checkShown: Bool = true) {
        if checkShown { secrets.register(value) }
        loader.redactor?.register(value)
    }

    /// A static header whose name holds one of these carries a key (`X-Api-Key`, `X-Auth-Token`, `Cookie`): its
    /// value is hidden like a credential's. Others (`IB-Context: org-acme`, `Accept`) are not secrets, and hiding
    /// them would blank target names in logs and drop discovered runs whose ids happen to contain them.
    static let secretHeaderHints = ["auth", "token", "key", "secret", "password", "passwd", "cookie", "session",
                                    "signature", "credential", "bearer"]

    static func carriesSecret(header name: String) -> Bool {
        let name = name.lowercased()
        return secretHeaderHints.contains { name.contains($0) }
    }

    /// Names, URLs, run ids and run labels are shown in /metrics and on the landing page: none may hold a secret.
    mutating func checkShownFields(_ targets: [TargetConfig]) {
        guard secrets.count > 0 else { return }
        let why = "holds the value of a configured credential, and would be shown in /metrics or on the landing page"
        for (i, t) in targets.enumerated() {
            let path = "targets[\(i)]"
            if secrets.reveals(t.name) { problem("\(path).name", why) }
            if secrets.reveals(t.url) { problem("\(path).url", why) }
            for (r, run) in t.runs.enumerated() {
                if secrets.reveals(run.id) { problem("\(path).runs[\(r)]", why) }
                for label in run.labels where secrets.reveals(label.value) { problem("\(path).runs[\(r)].labels.\(label.name)", why) }
            }
        }
    }

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
        let keys: Set = ["poll_interval", "terminal_poll_interval", "timeout", "max_concurrency", "max_response_bytes",
                         "max_series", "targets"]
        guard object(root, "", allowed: keys) != nil else { return ExporterConfig(targets: []) }
        let poll = duration(root["poll_interval"], "poll_interval", default: ExporterConfig.defaultPollInterval)
        let terminal = duration(root["terminal_poll_interval"], "terminal_poll_interval", default: ExporterConfig.defaultTerminalPollInterval)
        let timeout = duration(root["timeout"], "timeout", default: ExporterConfig.defaultTimeout)
        let concurrency = positiveInt(root["max_concurrency"], "max_concurrency", default: ExporterConfig.defaultMaxConcurrency, max: 4096)
        let maxBytes = positiveInt(root["max_response_bytes"], "max_response_bytes", default: ExporterConfig.defaultMaxResponseBytes, max: 1 << 30)
        let maxSeries = positiveInt(root["max_series"], "max_series", default: ExporterConfig.defaultMaxSeries, max: 1 << 30)
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
        checkShownFields(targets)
        return ExporterConfig(pollInterval: poll, terminalPollInterval: terminal, timeout: timeout,
                              maxConcurrency: concurrency, maxResponseBytes: maxBytes, maxSeries: maxSeries, targets: targets)
    }

    mutating func target(_ value: JSONValue, _ path: String, poll: Double, terminal: Double, timeout: Double) -> TargetConfig? {
        let keys: Set = ["name", "vendor", "url", "auth", "headers", "timezone", "runs",
                         "poll_interval", "terminal_poll_interval", "timeout", "discover", "rate_limit", "per_run_metrics",
                         "tls_config", "proxy_url", "no_proxy", "proxy_from_environment"]
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
                // Scalars, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n".
                if let why = Credentials.headerValueProblem(s) { problem(p, "value \(why)") }
                if Self.carriesSecret(header: k) { learnSecret(s, checkShown: false) }
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
        } else if value["discover"] == nil {
            problem("\(path).runs", "is required (or a \"discover\" block to find runs through the vendor's list call)")
        }

        let tPoll = duration(value["poll_interval"], "\(path).poll_interval", default: poll)
        let tTerminal = duration(value["terminal_poll_interval"], "\(path).terminal_poll_interval", default: terminal)
        let tTimeout = duration(value["timeout"], "\(path).timeout", default: timeout)
        let discover = value["discover"].flatMap { discovery($0, "\(path).discover", vendor: vendor) }
        var rateLimit = vendor?.defaultRateLimit
        if let v = value["rate_limit"] { rateLimit = self.rateLimit(v, "\(path).rate_limit") }
        var perRun = true
        if let v = value["per_run_metrics"] {
            if case .bool(let b) = v { perRun = b } else { problem("\(path).per_run_metrics", "must be true or false, not \(v.kindName)") }
        }
        let client = self.client(value, path)

        guard problems.count == before, let vendor else { return nil }
        var target = TargetConfig(name: name, vendor: vendor, url: url, auth: auth, headers: headers, timeZone: zone, runs: runs,
                                  pollInterval: tPoll, terminalPollInterval: tTerminal, timeout: tTimeout,
                                  discover: discover, perRunMetrics: perRun)
        target.rateLimit = rateLimit
        target.client = client
        return target
    }

    /// `discover`: window, interval and the vendor's own filters; RSA and Nexio have no list call.
    mutating func discovery(_ value: JSONValue, _ path: String, vendor: Vendor?) -> DiscoveryConfig? {
        let common: Set = ["max_runs", "max_age", "interval"]
        let vendorKeys = Vendor.discoverKeysByVendor
        let allVendorKeys = vendorKeys.values.reduce(into: Set<String>()) { $0.formUnion($1) }
        if let vendor, vendor.lister == nil {
            problem(path, "\(vendor.rawValue) has no list call to discover runs with: configure its run ids in \"runs\"")
            return nil
        }
        guard let members = object(value, path, allowed: common.union(allVendorKeys)) else { return nil }
        if let vendor {
            let own = vendorKeys[vendor] ?? []
            for (key, _) in members where allVendorKeys.contains(key) && !own.contains(key) {
                let owners = vendorKeys.filter { $0.value.contains(key) }.map(\.key.rawValue).sorted().joined(separator: ", ")
                problem(join(path, key), "is a filter of \(owners), not of \(vendor.rawValue)")
            }
        }
        var d = DiscoveryConfig()
        d.maxRuns = positiveInt(value["max_runs"], join(path, "max_runs"), default: DiscoveryConfig.defaultMaxRuns, max: 100_000)
        d.maxAge = duration(value["max_age"], join(path, "max_age"), default: DiscoveryConfig.defaultMaxAge)
        if let v = value["interval"] { d.interval = duration(v, join(path, "interval"), default: 0) }
        d.pageSize = positiveInt(value["page_size"], join(path, "page_size"), default: ListingQuery.defaultPageSize, max: 10_000)
        for (key, keyPath) in [("app_id", \DiscoveryConfig.appID), ("deployment_id", \DiscoveryConfig.deploymentID)] {
            guard let v = value[key], let s = string(v, join(path, key)) else { continue }
            if s.isEmpty { problem(join(path, key), "must not be empty") }
            d[keyPath: keyPath] = s
        }
        if let v = value["status"] {
            let p = join(path, "status")
            let items: [JSONValue] = v.arrayValue ?? [v]
            if items.isEmpty { problem(p, "must name at least one status") }
            for (i, item) in items.enumerated() {
                let ip = v.arrayValue == nil ? p : "\(p)[\(i)]"
                guard let s = string(item, ip) else { continue }
                if s.isEmpty || s.contains(",") { problem(ip, "must be one status name such as RUNNING, not \"\(s)\"") }
                d.statuses.append(s)
            }
        }
        if let v = value["agents"] {
            let p = join(path, "agents")
            if let items = v.arrayValue {
                if items.isEmpty { problem(p, "must list at least one agent id") }
                for (i, item) in items.enumerated() {
                    guard case .number = item, let n = item.int64Value, n >= 0, n <= Int64(Int32.max) else {
                        problem("\(p)[\(i)]", "must be an agent id (a whole number from 0 to \(Int32.max))")
                        continue
                    }
                    if d.agents.contains(Int32(n)) { problem("\(p)[\(i)]", "duplicate agent \(n)") }
                    d.agents.append(Int32(n))
                }
            } else {
                problem(p, "must be an array of agent ids, not \(v.kindName)")
            }
        }
        if let vendor, let required = vendor.lister?.shape.requiredDiscoverKeys {
            for (key, what) in required.sorted(by: { $0.key < $1.key }) where value[key] == nil {
                problem(join(path, key), "is required for \(vendor.rawValue): \(what)")
            }
        }
        if let v = value["max_records"] { d.maxRecords = positiveInt(v, join(path, "max_records"), default: 0, max: 10_000) }
        return d
    }

    /// `rate_limit`: `{"requests": N, "per": "1m"}`, or null for no budget (even Sequentum's default).
    mutating func rateLimit(_ value: JSONValue, _ path: String) -> RateLimit? {
        if value.isNull { return nil }
        guard object(value, path, allowed: ["requests", "per"]) != nil else { return nil }
        guard value["requests"] != nil else { problem(join(path, "requests"), "is required"); return nil }
        let requests = positiveInt(value["requests"], join(path, "requests"), default: 1, max: 1_000_000)
        let per = duration(value["per"], join(path, "per"), default: 60)
        return RateLimit(requests: requests, per: per)
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

    mutating func bool(_ value: JSONValue?, _ path: String) -> Bool {
        guard let value else { return false }
        if case .bool(let b) = value { return b }
        problem(path, "must be true or false, not \(value.kindName)")
        return false
    }

    /// `tls_config`, `proxy_url`, `no_proxy`, `proxy_from_environment` of a target, named as Prometheus' `http_config`.
    mutating func client(_ value: JSONValue, _ path: String) -> ClientConfig {
        var client = ClientConfig()
        if let t = value["tls_config"] {
            let p = "\(path).tls_config"
            if object(t, p, allowed: ["ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify", "min_version"]) != nil {
                var files: [String: String] = [:]
                for key in ["ca_file", "cert_file", "key_file", "server_name", "min_version"] {
                    guard let v = t[key], let s = string(v, join(p, key)) else { continue }
                    if s.isEmpty { problem(join(p, key), "must not be empty"); continue }
                    files[key] = s
                }
                for key in ["ca_file", "cert_file", "key_file"] {
                    guard let file = files[key] else { continue }
                    // Read now, as each new connection will: what would fail every poll is refused at start.
                    if let why = Self.pemFileProblem(file) { problem(join(p, key), why) }
                }
                if files["key_file"] != nil, files["cert_file"] == nil { problem(join(p, "key_file"), "needs cert_file (the client certificate the key belongs to)") }
                if files["cert_file"] != nil, files["key_file"] == nil { problem(join(p, "cert_file"), "needs key_file (the client certificate's private key)") }
                if let v = files["min_version"], !TLSClientConfig.versions.contains(v) {
                    problem(join(p, "min_version"), "unknown TLS version \"\(v)\" (one of: \(TLSClientConfig.versions.joined(separator: ", ")))")
                }
                client.tls = TLSClientConfig(caFile: files["ca_file"], certFile: files["cert_file"], keyFile: files["key_file"],
                                             serverName: files["server_name"],
                                             insecureSkipVerify: bool(t["insecure_skip_verify"], join(p, "insecure_skip_verify")),
                                             minVersion: files["min_version"])
            }
        }
        if let v = value["proxy_url"], let s = string(v, "\(path).proxy_url") {
            if let comps = URLComponents(string: s), let password = comps.password, !password.isEmpty {
                learnSecret(password)
                // As for credentials: a value this short cannot be hidden by value without blanking ordinary words.
                if password.count < 8 { problem("\(path).proxy_url", "the proxy password is shorter than 8 characters, too short to hide from logs by value") }
                if let encoded = comps.percentEncodedPassword, encoded != password { learnSecret(encoded) }
            }
            if let why = Self.proxyURLProblem(s) { problem("\(path).proxy_url", why) }
            client.proxyURL = s
        }
        if let v = value["no_proxy"], let s = string(v, "\(path).no_proxy") {
            if client.proxyURL == nil, value["proxy_from_environment"] == nil { problem("\(path).no_proxy", "only applies with proxy_url or proxy_from_environment") }
            client.noProxy = s
        }
        client.proxyFromEnvironment = bool(value["proxy_from_environment"], "\(path).proxy_from_environment")
        if client.proxyFromEnvironment, client.proxyURL != nil {
            problem("\(path).proxy_from_environment", "give either proxy_url or proxy_from_environment, not both")
        }
        return client
    }

    /// Readable as each new connection reads it; the content is libcurl's to judge (a bad PEM fails the poll,
    /// counted as `certificate`). Unlike a credentials file, a CA bundle may be large.
    static func pemFileProblem(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return "file \"\(path)\" does not exist or is not readable" }
        guard info.st_mode & S_IFMT == S_IFREG else { return "file \"\(path)\" is not a regular file" }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return "file \"\(path)\" is not readable (\(String(cString: strerror(errno))))" }
        close(fd)
        guard info.st_size > 0 else { return "file \"\(path)\" is empty" }
        return nil
    }

    static func proxyURLProblem(_ s: String) -> String? {
        guard let comps = URLComponents(string: s), let scheme = comps.scheme?.lowercased() else {
            return "\"\(Redact.url(s))\" is not a URL"
        }
        guard ["http", "https", "socks5"].contains(scheme) else { return "scheme must be http, https or socks5, not \(scheme)" }
        guard let host = comps.host, !host.isEmpty else { return "\"\(Redact.url(s))\" has no host" }
        return nil
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
        case "credentials": source = .inline(text)
        case "credentials_file": source = .file(text)
        default: source = .environment(text)
        }
        if text.isEmpty {
            problem(p, "must not be empty")
        } else {
            // Read now, with the checks every poll makes: what would fail each cycle is refused at start.
            switch loader.credentials.read(source) {
            case .success(let secret): learnSecret(secret)
            case .failure(let e): problem(p, e.message)
            }
            if key == "credentials" { learnSecret(text) }
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
