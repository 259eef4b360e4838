import Configuration
import Foundation
import Logging
import RunStatusModel
import RunStore
import TLS

/// `--web.config.file`: exporter-toolkit's web configuration, written as JSON.
///
/// ```json
/// {
///   "basic_auth_users": { "prometheus": "$2y$10$..." },
///   "http_server_config": { "headers": { "X-Frame-Options": "deny" } }
/// }
/// ```
/// `tls_server_config` (HTTPS, mutual TLS) is parsed in `WebConfig+TLS.swift`.
public struct WebConfig: Sendable, Equatable {
    /// User name → bcrypt hash.
    public var basicAuthUsers: [String: String]
    /// Added to every response, in the order written.
    public var headers: [HeaderField]
    /// `tls_server_config`; nil serves plain HTTP.
    public var tlsServer: TLSServerSettings?

    public struct HeaderField: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(basicAuthUsers: [String: String] = [:], headers: [HeaderField] = [], tlsServer: TLSServerSettings? = nil) {
        self.basicAuthUsers = basicAuthUsers
        self.headers = headers
        self.tlsServer = tlsServer
    }

    /// exporter-toolkit's list: the security headers a scrape endpoint may want, with the values allowed
    /// where only some make sense (nil: any value).
    static let allowedHeaders: [(name: String, values: [String]?)] = [
        ("Strict-Transport-Security", nil),
        ("X-Content-Type-Options", ["nosniff"]),
        ("X-Frame-Options", ["deny", "sameorigin"]),
        ("X-XSS-Protection", nil),
        ("Content-Security-Policy", nil),
    ]

    public static func load(path: String) throws(ConfigError) -> WebConfig {
        try parse(ConfigLoader.readConfigFile(path), file: path)
    }

    /// Every problem at once, each with its JSON path. Problems never quote a hash.
    public static func parse(_ bytes: [UInt8], file: String) throws(ConfigError) -> WebConfig {
        let root: JSONValue
        do {
            root = try JSONValue.parse(bytes)
        } catch {
            let (line, column) = ConfigLoader.lineAndColumn(of: error.offset, in: bytes)
            throw ConfigError(file: file, problems: [.init(path: "", message: "not valid JSON at line \(line), column \(column): \(error.message)")])
        }
        var problems: [ConfigError.Problem] = []
        func problem(_ path: String, _ message: String) { problems.append(.init(path: path, message: message)) }
        var config = WebConfig()

        guard let members = root.objectValue else {
            throw ConfigError(file: file, problems: [.init(path: "", message: "must be an object, not \(root.kindName)")])
        }
        for (key, value) in members {
            switch key {
            case "basic_auth_users":
                guard let users = value.objectValue else { problem(key, "must be an object of user name → bcrypt hash"); continue }
                for (user, hashValue) in users {
                    let path = "basic_auth_users[\(Self.quoted(user))]"
                    if user.isEmpty { problem(path, "a user name must not be empty") }
                    if user.contains(":") { problem(path, "a user name must not contain \":\" (basic auth splits there)") }
                    guard let hash = hashValue.stringValue else { problem(path, "must be a string (a bcrypt hash), not \(hashValue.kindName)"); continue }
                    guard Bcrypt.isWellFormed(hash) else {
                        problem(path, "is not a bcrypt hash ($2a$, $2b$ or $2y$, cost, 53 characters; make one with `htpasswd -nBC 10 USER`)")
                        continue
                    }
                    config.basicAuthUsers[user] = hash
                }
            case "http_server_config":
                guard let settings = value.objectValue else { problem(key, "must be an object"); continue }
                for (name, setting) in settings {
                    let path = "http_server_config.\(name)"
                    switch name {
                    case "headers":
                        guard let fields = setting.objectValue else { problem(path, "must be an object of header name → value"); continue }
                        for (header, headerValue) in fields {
                            let fieldPath = "\(path)[\(Self.quoted(header))]"
                            guard let text = headerValue.stringValue else { problem(fieldPath, "must be a string"); continue }
                            guard let allowed = allowedHeaders.first(where: { $0.name.caseInsensitiveCompare(header) == .orderedSame }) else {
                                problem(fieldPath, "not a header that may be set (one of: \(allowedHeaders.map(\.name).joined(separator: ", ")))")
                                continue
                            }
                            if let values = allowed.values, !values.contains(text.lowercased()) {
                                problem(fieldPath, "must be one of: \(values.joined(separator: ", "))")
                                continue
                            }
                            if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                                problem(fieldPath, "must not contain control characters")
                                continue
                            }
                            config.headers.append(HeaderField(allowed.name, text))
                        }
                    case "http2":
                        // exporter-toolkit's switch; HTTP/1.1 is all this listener speaks, so only its type is checked.
                        if setting.boolValue == nil { problem(path, "must be true or false") }
                    default:
                        problem(path, "unknown key (known keys: headers, http2)")
                    }
                }
            case "tls_server_config":
                config.tlsServer = parseTLSServerConfig(value, file: file, problem: problem)
            default:
                problem(key, "unknown key (known keys: basic_auth_users, http_server_config, tls_server_config)")
            }
        }
        if !problems.isEmpty { throw ConfigError(file: file, problems: problems) }
        return config
    }

    private static func quoted(_ s: String) -> String { "\"" + Logger.jsonEscape(s) + "\"" }
}

private extension JSONValue {
    var boolValue: Bool? {
        switch self {
        case .bool(let b): b
        default: nil
        }
    }
}
