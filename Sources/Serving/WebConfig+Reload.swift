import Configuration
import TLS

/// What a running exporter needs to apply a changed web config.
extension WebConfig {
    /// The files whose change changes the config in force: the web config itself, then the certificate, key and
    /// client CA files it names (inline PEM changes with the web config).
    public static func watchedFiles(path: String, config: WebConfig) -> [String] {
        var files = [path]
        if let tls = config.tlsServer {
            for source in [tls.certificate, tls.privateKey] {
                if case .file(let file) = source { files.append(file) }
            }
            if let ca = tls.clientCAFile { files.append(ca) }
        }
        return files
    }

    /// The TLS context for `next`, a replacement for `self` (which is in force) read from `file`: nil without TLS,
    /// or every problem, as at start. Adding or removing `tls_server_config` is refused: the listening socket's
    /// protocol is fixed until a restart.
    public func replacementTLSContext(for next: WebConfig, file: String) throws(ConfigError) -> TLSServerContext? {
        switch (tlsServer != nil, next.tlsServer != nil) {
        case (false, true):
            throw ConfigError(file: file, problems: [.init(path: "tls_server_config", message:
                "added while the exporter serves plain HTTP; restart the exporter to switch its listener to HTTPS")])
        case (true, false):
            throw ConfigError(file: file, problems: [.init(path: "tls_server_config", message:
                "removed (or names no certificate) while the exporter serves HTTPS; restart the exporter to switch its listener to plain HTTP")])
        default:
            return try next.makeTLSContext(file: file)
        }
    }
}
