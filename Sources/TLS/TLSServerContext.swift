import COpenSSL
import Foundation

/// A loaded server configuration (OpenSSL's `SSL_CTX`): certificate and key, client-certificate policy, versions,
/// ciphers, groups, ALPN `http/1.1` only, no renegotiation. Immutable once built and shared by every connection
/// it starts (OpenSSL allows `SSL_new` from any thread on a configured context); a new one built from changed files
/// can replace it for new connections while the old connections keep theirs.
public final class TLSServerContext: @unchecked Sendable {
    let context: OpaquePointer
    public let settings: TLSServerSettings
    /// `client_allowed_sans`, newline-separated, read by the verify callback; freed with the context.
    private let allowedSANs: UnsafeMutablePointer<CChar>?

    public init(settings: TLSServerSettings) throws(TLSError) {
        _ = Self.ignoreBrokenPipes
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw .openSSL(key: nil, "cannot create a TLS context") }
        var allowed: UnsafeMutablePointer<CChar>?
        do throws(TLSError) {
            try Self.configure(context, settings)
            if !settings.clientAllowedSANs.isEmpty {
                allowed = strdup(settings.clientAllowedSANs.joined(separator: "\n"))
            }
            copenssl_ctx_set_client_auth(context, Self.policyCode(settings.clientAuth), allowed)
        } catch {
            SSL_CTX_free(context)
            throw error
        }
        self.context = context
        self.settings = settings
        self.allowedSANs = allowed
    }

    deinit {
        SSL_CTX_free(context)
        free(allowedSANs)
    }

    /// A client session's OpenSSL sends with write(2), without MSG_NOSIGNAL: a peer gone mid-write would raise
    /// SIGPIPE, whose default action ends the process. Server sessions send with MSG_NOSIGNAL (the gathering BIO),
    /// but any write OpenSSL makes itself must not end the exporter either. Ignored once, before the first TLS
    /// session; such a write then fails with EPIPE and costs its connection only.
    static let ignoreBrokenPipes: Void = {
        signal(SIGPIPE, SIG_IGN)
    }()

    /// Go's default TLS 1.2 suites in Go's order (what exporter-toolkit offers when `cipher_suites` is not set):
    /// ECDHE only, AES-128-GCM first, the cheapest to encrypt on AES hardware.
    static let goTLS12Suites = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
                                "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
                                "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
                                "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA"]
    /// TLS 1.3 in Go's order (not configurable, as in Go): OpenSSL's own puts AES-256 first, a quarter slower here.
    static let goTLS13Suites = ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_256_GCM_SHA384"]

    private static func policyCode(_ auth: TLSServerSettings.ClientAuth) -> Int32 {
        switch auth {
        case .noClientCert: 0
        case .requestClientCert: 1
        case .requireAnyClientCert: 2
        case .verifyClientCertIfGiven: 3
        case .requireAndVerifyClientCert: 4
        }
    }

    private static func configure(_ context: OpaquePointer, _ settings: TLSServerSettings) throws(TLSError) {
        var options = copenssl_default_options()
        // Go's server order, and like Go, ChaCha20 first for a client that puts it first (one without AES hardware).
        if settings.preferServerCipherSuites { options |= copenssl_op_cipher_server_preference() | copenssl_op_prioritize_chacha() }
        SSL_CTX_set_options(context, options)
        _ = copenssl_ctx_set_mode(context, copenssl_default_mode())
        // One recv takes whatever records have arrived, not a header and then a body each: fewer system calls. The
        // event loop asks `hasBufferedInput` for what poll(2) then cannot see.
        copenssl_ctx_set_read_ahead(context)
        // One SSL_read handles at most one record that is not data (a key update, a refused renegotiation) and returns:
        // with OpenSSL's default it would go on reading as long as a client sends them, and one flooding client
        // would keep the event loop from every other connection. The loop comes back for the rest on its next pass.
        copenssl_ctx_clear_auto_retry(context)
        guard copenssl_ctx_set_min_version(context, settings.minVersion.wire) == 1 else {
            throw .openSSL(key: "min_version", "\(settings.minVersion.rawValue) is not supported by this OpenSSL")
        }
        guard copenssl_ctx_set_max_version(context, settings.maxVersion.wire) == 1 else {
            throw .openSSL(key: "max_version", "\(settings.maxVersion.rawValue) is not supported by this OpenSSL")
        }
        let suites = settings.cipherSuites.isEmpty ? Self.goTLS12Suites : settings.cipherSuites
        if SSL_CTX_set_cipher_list(context, suites.joined(separator: ":")) != 1 {
            throw .openSSL(key: "cipher_suites", "none of the suites is available in this OpenSSL")
        }
        _ = SSL_CTX_set_ciphersuites(context, Self.goTLS13Suites.joined(separator: ":"))
        if !settings.curves.isEmpty, copenssl_ctx_set_groups_list(context, settings.curves.joined(separator: ":")) != 1 {
            throw .openSSL(key: "curve_preferences", "not available in this OpenSSL")
        }
        // Resumed sessions keep their verified client certificate; OpenSSL requires a context id for that.
        let sessionID = Array("runstatus-exporter".utf8)
        _ = SSL_CTX_set_session_id_context(context, sessionID, UInt32(sessionID.count))
        copenssl_ctx_set_alpn_http11(context)

        let (certificateKey, certificatePEM) = try Self.read(settings.certificate, fileKey: "cert_file", inlineKey: "cert")
        try useCertificateChain(context, pem: certificatePEM, key: certificateKey)
        let (privateKeyKey, keyPEM) = try Self.read(settings.privateKey, fileKey: "key_file", inlineKey: "key")
        try usePrivateKey(context, pem: keyPEM, key: privateKeyKey)
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw .openSSL(key: privateKeyKey, "the private key does not match the certificate")
        }

        if let file = settings.clientCAFile {
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw TLSError(key: "client_ca_file", "cannot read \(file)")
            }
            guard SSL_CTX_load_verify_locations(context, file, nil) == 1, let names = SSL_load_client_CA_file(file) else {
                throw .openSSL(key: "client_ca_file", "\(file) holds no usable PEM CA certificate")
            }
            SSL_CTX_set_client_CA_list(context, names)
        }
    }

    /// The PEM text and the key it came from.
    static func read(_ source: TLSServerSettings.PEMSource, fileKey: String, inlineKey: String) throws(TLSError) -> (String, [UInt8]) {
        switch source {
        case .inline(let text):
            return (inlineKey, Array(text.utf8))
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw TLSError(key: fileKey, "cannot read \(path)")
            }
            return (fileKey, Array(data))
        }
    }

    static func useCertificateChain(_ context: OpaquePointer, pem: [UInt8], key: String) throws(TLSError) {
        let loaded: Bool = pem.withUnsafeBytes { bytes in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return false }
            defer { BIO_free(bio) }
            guard let leaf = PEM_read_bio_X509_AUX(bio, nil, nil, nil) else { return false }
            defer { X509_free(leaf) }
            guard SSL_CTX_use_certificate(context, leaf) == 1 else { return false }
            while let intermediate = PEM_read_bio_X509(bio, nil, nil, nil) {
                guard copenssl_ctx_add0_chain_cert(context, intermediate) == 1 else {
                    X509_free(intermediate)
                    return false
                }
            }
            ERR_clear_error()  // the end of the text reads as "no start line"
            return true
        }
        guard loaded else { throw .openSSL(key: key, "holds no usable PEM certificate") }
    }

    static func usePrivateKey(_ context: OpaquePointer, pem: [UInt8], key: String) throws(TLSError) {
        enum Outcome { case used, unreadable, mismatched }
        let outcome: Outcome = pem.withUnsafeBytes { bytes in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return .unreadable }
            defer { BIO_free(bio) }
            // No passphrase prompt: an encrypted key is refused, as exporter-toolkit refuses it.
            guard let privateKey = PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil) else { return .unreadable }
            defer { EVP_PKEY_free(privateKey) }
            return SSL_CTX_use_PrivateKey(context, privateKey) == 1 ? .used : .mismatched
        }
        switch outcome {
        case .used: return
        case .unreadable: throw .openSSL(key: key, "holds no usable unencrypted PEM private key")
        case .mismatched:
            ERR_clear_error()
            throw TLSError(key: key, "the private key does not match the certificate")
        }
    }
}
