import Logging

extension ClientConfig {
    /// What `--config.check` and the logs may say about it: the proxy with its userinfo hidden, file paths, flags.
    /// nil for the defaults.
    public var summary: String? {
        var parts: [String] = []
        if let proxy = proxyURL { parts.append("proxy \(Redact.url(proxy))") }
        if proxyFromEnvironment { parts.append("proxy from the environment") }
        if let noProxy { parts.append("no proxy for \(noProxy)") }
        if let ca = tls.caFile { parts.append("CA \(ca)") }
        if let cert = tls.certFile { parts.append("client certificate \(cert)") }
        if let name = tls.serverName { parts.append("server name \(name)") }
        if let version = tls.minVersion { parts.append("TLS ≥ \(version)") }
        if tls.insecureSkipVerify { parts.append("certificate NOT verified (insecure_skip_verify)") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }
}
