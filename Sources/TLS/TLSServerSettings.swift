/// What a TLS listener serves with: exporter-toolkit's `tls_server_config`, parsed and checked, not yet loaded.
/// `TLSServerContext(settings:)` reads the files and builds the OpenSSL context.
public struct TLSServerSettings: Sendable, Equatable {
    /// PEM text inline, or a file holding it.
    public enum PEMSource: Sendable, Equatable {
        case file(String)
        case inline(String)
    }

    /// exporter-toolkit's `client_auth_type`, Go's `tls.ClientAuthType`.
    public enum ClientAuth: String, Sendable, Equatable, CaseIterable {
        case noClientCert = "NoClientCert"
        case requestClientCert = "RequestClientCert"
        case requireAnyClientCert = "RequireAnyClientCert"
        case verifyClientCertIfGiven = "VerifyClientCertIfGiven"
        case requireAndVerifyClientCert = "RequireAndVerifyClientCert"

        /// The client must present a certificate for the handshake to complete.
        public var requiresCertificate: Bool { self == .requireAnyClientCert || self == .requireAndVerifyClientCert }
        /// A presented certificate is checked against the client CAs.
        public var verifies: Bool { self == .verifyClientCertIfGiven || self == .requireAndVerifyClientCert }
    }

    /// The server's certificate, then the intermediates to send with it.
    public var certificate: PEMSource
    public var privateKey: PEMSource
    public var clientAuth: ClientAuth = .noClientCert
    /// CA certificates (PEM file) that client certificates must chain to.
    public var clientCAFile: String?
    /// When not empty, a verified client certificate must also carry one of these subject alternative names.
    public var clientAllowedSANs: [String] = []
    public var minVersion: TLSVersion = .tls12
    public var maxVersion: TLSVersion = .tls13
    /// OpenSSL cipher names for TLS 1.2 and older (TLS 1.3's suites are not configurable, as in Go); empty: OpenSSL's
    /// defaults.
    public var cipherSuites: [String] = []
    /// OpenSSL group names, in order of preference; empty: OpenSSL's defaults.
    public var curves: [String] = []
    public var preferServerCipherSuites = true

    public init(certificate: PEMSource, privateKey: PEMSource) {
        self.certificate = certificate
        self.privateKey = privateKey
    }
}

/// A protocol version, named as exporter-toolkit names them (`TLS10` … `TLS13`).
public enum TLSVersion: String, Sendable, Equatable, Comparable, CaseIterable {
    case tls10 = "TLS10"
    case tls11 = "TLS11"
    case tls12 = "TLS12"
    case tls13 = "TLS13"

    /// OpenSSL's version number (TLS1_VERSION …).
    var wire: Int32 {
        switch self {
        case .tls10: 0x0301
        case .tls11: 0x0302
        case .tls12: 0x0303
        case .tls13: 0x0304
        }
    }

    public static func < (a: TLSVersion, b: TLSVersion) -> Bool { a.wire < b.wire }
}
