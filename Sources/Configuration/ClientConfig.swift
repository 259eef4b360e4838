/// How a target's requests reach the vendor: Prometheus' `http_config` names (`tls_config`, `proxy_url`, `no_proxy`,
/// `proxy_from_environment`). The default is what the exporter did before: the system's CAs, no proxy, and the
/// `HTTPS_PROXY`-style environment ignored.
public struct ClientConfig: Sendable, Equatable, Hashable {
    public var tls = TLSClientConfig()
    /// `http://`, `https://` or `socks5://`, possibly with `user:pass@` (a secret, never shown).
    public var proxyURL: String?
    /// Comma-separated hosts, domains and addresses reached without the proxy (libcurl's `NOPROXY` syntax).
    public var noProxy: String?
    /// Take the proxy from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`; otherwise the environment is ignored.
    public var proxyFromEnvironment = false

    public init(tls: TLSClientConfig = TLSClientConfig(), proxyURL: String? = nil, noProxy: String? = nil,
                proxyFromEnvironment: Bool = false) {
        self.tls = tls
        self.proxyURL = proxyURL
        self.noProxy = noProxy
        self.proxyFromEnvironment = proxyFromEnvironment
    }
}

/// `tls_config`: files are paths, read again when they change.
public struct TLSClientConfig: Sendable, Equatable, Hashable {
    /// CA certificates (PEM) the vendor's certificate must chain to; nil: the system's.
    public var caFile: String?
    /// Client certificate and key (PEM) for mutual TLS.
    public var certFile: String?
    public var keyFile: String?
    /// The name the vendor's certificate is checked against (and sent as SNI) instead of the URL's host.
    public var serverName: String?
    /// Accept any certificate: a warning at start and on the landing page.
    public var insecureSkipVerify = false
    /// `TLS10` … `TLS13`; nil: libcurl's default (TLS 1.2 on this build).
    public var minVersion: String?

    public static let versions = ["TLS10", "TLS11", "TLS12", "TLS13"]

    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, serverName: String? = nil,
                insecureSkipVerify: Bool = false, minVersion: String? = nil) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.serverName = serverName
        self.insecureSkipVerify = insecureSkipVerify
        self.minVersion = minVersion
    }
}
