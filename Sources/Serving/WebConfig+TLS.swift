import Configuration
import Foundation
import Logging
import RunStatusModel
import TLS

/// `tls_server_config`: exporter-toolkit's keys and values, so a web config that works with node_exporter works
/// here (written as JSON), or is refused at start naming the key.
extension WebConfig {
    static let tlsKeys = ["cert_file", "key_file", "cert", "key", "client_auth_type", "client_ca_file",
                          "client_allowed_sans", "min_version", "max_version", "cipher_suites", "curve_preferences",
                          "prefer_server_cipher_suites"]

    /// Go's cipher suite names (TLS 1.2 and older) → OpenSSL's.
    static let cipherSuiteNames: [String: String] = [
        "TLS_RSA_WITH_3DES_EDE_CBC_SHA": "DES-CBC3-SHA",
        "TLS_RSA_WITH_AES_128_CBC_SHA": "AES128-SHA",
        "TLS_RSA_WITH_AES_256_CBC_SHA": "AES256-SHA",
        "TLS_RSA_WITH_AES_128_CBC_SHA256": "AES128-SHA256",
        "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
        "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "ECDHE-ECDSA-AES128-SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "ECDHE-ECDSA-AES256-SHA",
        "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA": "ECDHE-RSA-DES-CBC3-SHA",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "ECDHE-RSA-AES128-SHA",
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "ECDHE-RSA-AES256-SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256": "ECDHE-ECDSA-AES128-SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256": "ECDHE-RSA-AES128-SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
        // Go's older spellings of the two above.
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305": "ECDHE-RSA-CHACHA20-POLY1305",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305": "ECDHE-ECDSA-CHACHA20-POLY1305",
    ]
    /// TLS 1.3's suites: Go accepts their names and ignores them (they are not configurable), and so does this.
    static let tls13CipherSuiteNames: Set<String> = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                                     "TLS_CHACHA20_POLY1305_SHA256"]
    static let curveNames: [String: String] = ["CurveP256": "P-256", "CurveP384": "P-384", "CurveP521": "P-521",
                                               "X25519": "X25519"]

    /// nil when the object names no certificate, key or client setting: exporter-toolkit then serves plain HTTP.
    /// Relative file names are taken from the web config file's directory, as exporter-toolkit does.
    static func parseTLSServerConfig(_ value: JSONValue, file: String,
                                     problem: (String, String) -> Void) -> TLSServerSettings? {
        guard let members = value.objectValue else { problem("tls_server_config", "must be an object"); return nil }
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : directory.appending(path: path).path
        }
        var strings: [String: String] = [:]
        var lists: [String: [String]] = [:]
        var preferServer = true
        for (key, setting) in members {
            let path = "tls_server_config.\(key)"
            switch key {
            case "cert_file", "key_file", "cert", "key", "client_auth_type", "client_ca_file", "min_version", "max_version":
                // A string; Go's YAML takes an empty one as unset.
                guard let text = setting.stringValue else {
                    if !setting.isNull { problem(path, "must be a string") }
                    continue
                }
                if !text.isEmpty { strings[key] = text }
            case "client_allowed_sans", "cipher_suites", "curve_preferences":
                guard let items = setting.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                    if !setting.isNull { problem(path, "must be a list of strings") }
                    continue
                }
                lists[key] = items.compactMap(\.stringValue)
            case "prefer_server_cipher_suites":
                guard case .bool(let flag) = setting else { problem(path, "must be true or false"); continue }
                preferServer = flag
            default:
                problem(path, "unknown key (known keys: \(tlsKeys.joined(separator: ", ")))")
            }
        }
        let clientSettings = ["client_auth_type", "client_ca_file"].contains { strings[$0] != nil }
        if strings["cert_file"] == nil, strings["cert"] == nil, strings["key_file"] == nil, strings["key"] == nil,
           !clientSettings {
            return nil
        }

        func source(file fileKey: String, inline inlineKey: String, what: String) -> TLSServerSettings.PEMSource? {
            switch (strings[fileKey], strings[inlineKey]) {
            case (let path?, nil): return .file(resolve(path))
            case (nil, let text?): return .inline(text)
            case (.some, .some):
                problem("tls_server_config.\(inlineKey)", "set \(fileKey) or \(inlineKey), not both")
            case (nil, nil):
                problem("tls_server_config.\(fileKey)", "missing: the \(what) (PEM) as \(fileKey) or \(inlineKey)")
            }
            return nil
        }
        let certificate = source(file: "cert_file", inline: "cert", what: "server certificate")
        let privateKey = source(file: "key_file", inline: "key", what: "server's private key")
        // Checked on without them, so that every problem is reported at once.
        var settings = TLSServerSettings(certificate: certificate ?? .inline(""), privateKey: privateKey ?? .inline(""))
        settings.preferServerCipherSuites = preferServer

        if let auth = strings["client_auth_type"] {
            if let policy = TLSServerSettings.ClientAuth(rawValue: auth) {
                settings.clientAuth = policy
            } else {
                problem("tls_server_config.client_auth_type",
                        "must be one of: \(TLSServerSettings.ClientAuth.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        settings.clientCAFile = strings["client_ca_file"].map(resolve)
        if settings.clientCAFile != nil && settings.clientAuth == .noClientCert {
            problem("tls_server_config.client_ca_file", "set, but client_auth_type asks for no client certificate "
                    + "(use RequireAndVerifyClientCert or VerifyClientCertIfGiven)")
        }
        if settings.clientAuth.verifies && settings.clientCAFile == nil {
            problem("tls_server_config.client_ca_file", "missing: client_auth_type \(settings.clientAuth.rawValue) "
                    + "verifies client certificates against the CAs in this file")
        }
        settings.clientAllowedSANs = lists["client_allowed_sans"] ?? []
        if !settings.clientAllowedSANs.isEmpty && !settings.clientAuth.verifies {
            problem("tls_server_config.client_allowed_sans", "needs client_auth_type RequireAndVerifyClientCert "
                    + "(or VerifyClientCertIfGiven): only verified certificates have names worth checking")
        }

        for (key, keyPath) in [("min_version", \TLSServerSettings.minVersion), ("max_version", \.maxVersion)] {
            guard let text = strings[key] else { continue }
            guard let version = TLSVersion(rawValue: text) else {
                problem("tls_server_config.\(key)", "must be one of: \(TLSVersion.allCases.map(\.rawValue).joined(separator: ", "))")
                continue
            }
            settings[keyPath: keyPath] = version
        }
        if settings.minVersion > settings.maxVersion {
            problem("tls_server_config.min_version", "\(settings.minVersion.rawValue) is above max_version \(settings.maxVersion.rawValue)")
        }

        for name in lists["cipher_suites"] ?? [] {
            if let openSSLName = cipherSuiteNames[name] {
                settings.cipherSuites.append(openSSLName)
            } else if !tls13CipherSuiteNames.contains(name) {
                problem("tls_server_config.cipher_suites", "\(quoted(name)) is not a cipher suite this exporter offers "
                        + "(Go's names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256; RC4 suites are not available)")
            }
        }
        for name in lists["curve_preferences"] ?? [] {
            if let group = curveNames[name] {
                settings.curves.append(group)
            } else {
                problem("tls_server_config.curve_preferences",
                        "\(quoted(name)) is not one of: \(curveNames.keys.sorted().joined(separator: ", "))")
            }
        }
        return certificate == nil || privateKey == nil ? nil : settings
    }

    /// The loaded context for `tlsServer`, nil without TLS; a file that cannot be read, a key that does not match
    /// its certificate and the like are reported like the config's other problems.
    public func makeTLSContext(file: String) throws(ConfigError) -> TLSServerContext? {
        guard let tlsServer else { return nil }
        do {
            return try TLSServerContext(settings: tlsServer)
        } catch {
            throw ConfigError(file: file, problems: [.init(path: error.key.map { "tls_server_config.\($0)" } ?? "tls_server_config",
                                                           message: error.message)])
        }
    }

    private static func quoted(_ s: String) -> String { "\"" + Logger.jsonEscape(s) + "\"" }
}
