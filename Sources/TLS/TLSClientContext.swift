import COpenSSL

/// A client configuration for talking to this process's own listener (the `healthcheck` probe): ALPN
/// `http/1.1`, optionally a client certificate. It does not verify the server: the probe only dials its own
/// loopback listener and sends no secret, and the listener's certificate is made for the names clients use,
/// not for `127.0.0.1`.
public final class TLSClientContext: @unchecked Sendable {
    let context: OpaquePointer

    /// `certificate` and `privateKey` together, or neither. `readAhead`: one recv takes whatever records have
    /// arrived (a client reading large responses, the benchmark's load), not each record's header and then its body.
    public init(certificate: TLSServerSettings.PEMSource? = nil, privateKey: TLSServerSettings.PEMSource? = nil,
                readAhead: Bool = false) throws(TLSError) {
        _ = TLSServerContext.ignoreBrokenPipes
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw .openSSL(key: nil, "cannot create a TLS context") }
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        if readAhead {
            copenssl_ctx_set_read_ahead(context)
            SSL_CTX_set_default_read_buffer_len(context, 256 * 1024)
        }
        _ = copenssl_ctx_set_alpn_protos_http11(context)
        if let certificate, let privateKey {
            do throws(TLSError) {
                let (certificateKey, certificatePEM) = try TLSServerContext.read(certificate, fileKey: "cert_file", inlineKey: "cert")
                let (privateKeyKey, keyPEM) = try TLSServerContext.read(privateKey, fileKey: "key_file", inlineKey: "key")
                try TLSServerContext.useCertificateChain(context, pem: certificatePEM, key: certificateKey)
                try TLSServerContext.usePrivateKey(context, pem: keyPEM, key: privateKeyKey)
            } catch {
                SSL_CTX_free(context)
                throw error
            }
        }
        self.context = context
    }

    deinit {
        SSL_CTX_free(context)
    }

    /// A client connection on the connected socket `fd` (which the caller keeps and closes).
    public func session(fd: Int32, serverName: String?) throws(TLSError) -> TLSSession {
        guard let ssl = SSL_new(context) else { throw .openSSL(key: nil, "cannot create a TLS connection") }
        guard SSL_set_fd(ssl, fd) == 1 else {
            SSL_free(ssl)
            throw .openSSL(key: nil, "cannot attach a TLS connection to its socket")
        }
        if let serverName, !serverName.isEmpty { _ = copenssl_set_tlsext_host_name(ssl, serverName) }
        SSL_set_connect_state(ssl)
        return TLSSession(client: ssl, fd: fd)
    }
}
