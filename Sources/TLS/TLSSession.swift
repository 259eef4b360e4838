import COpenSSL

/// One TLS connection over a socket (OpenSSL's `SSL`), driven by its owner: the event loop for a non-blocking
/// server connection, a blocking probe for a client. Not thread-safe: one thread uses it at a time.
public final class TLSSession {
    /// What an operation did, or what it waits for.
    public enum Progress: Equatable {
        /// Done; for a read or a write, this many bytes (0 only for a finished handshake).
        case done(Int)
        /// Call again when the socket is readable.
        case wantRead
        /// Call again when the socket is writable.
        case wantWrite
        /// The peer closed the connection (close_notify, or end of input).
        case closed
        /// A protocol or socket error: the connection is lost.
        case failed(String)
    }

    let ssl: OpaquePointer
    public private(set) var handshakeDone = false
    private var shutDown = false

    /// A server connection on the accepted socket `fd` (which the owner keeps and closes).
    public init(server context: TLSServerContext, fd: Int32) throws(TLSError) {
        guard let ssl = SSL_new(context.context) else { throw .openSSL(key: nil, "cannot create a TLS connection") }
        guard SSL_set_fd(ssl, fd) == 1 else {
            SSL_free(ssl)
            throw .openSSL(key: nil, "cannot attach a TLS connection to its socket")
        }
        SSL_set_accept_state(ssl)
        self.ssl = ssl
    }

    init(client ssl: OpaquePointer) {
        self.ssl = ssl
    }

    deinit {
        SSL_free(ssl)
    }

    /// Drives the handshake on; `.done(0)` once it completed.
    public func handshake() -> Progress {
        if handshakeDone { return .done(0) }
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            handshakeDone = true
            return .done(0)
        }
        return progress(after: result)
    }

    /// Decrypted bytes into `buffer`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Progress {
        let result = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        return result > 0 ? .done(Int(result)) : progress(after: result)
    }

    /// Encrypts and sends a part of `bytes` (at least one record's worth, or all when the socket takes it).
    public func write(_ bytes: UnsafeRawBufferPointer) -> Progress {
        guard !bytes.isEmpty else { return .done(0) }
        let result = SSL_write(ssl, bytes.baseAddress, Int32(clamping: bytes.count))
        return result > 0 ? .done(Int(result)) : progress(after: result)
    }

    /// Input OpenSSL has already taken from the socket but not handed out: poll(2) will not report it.
    public var hasBufferedInput: Bool { SSL_has_pending(ssl) == 1 }

    /// Sends close_notify, best effort and once; the socket's own shutdown and close stay with the owner.
    public func shutdown() {
        guard handshakeDone, !shutDown else { return }
        shutDown = true
        if SSL_shutdown(ssl) < 0 { ERR_clear_error() }
    }

    /// The protocol ALPN settled on, if any.
    public var negotiatedProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    private func progress(after result: Int32) -> Progress {
        let code = SSL_get_error(ssl, result)
        switch code {
        case SSL_ERROR_WANT_READ:
            return .wantRead
        case SSL_ERROR_WANT_WRITE:
            return .wantWrite
        case SSL_ERROR_ZERO_RETURN:
            return .closed
        case SSL_ERROR_SYSCALL:
            let reason = TLSError.lastOpenSSLError()
            return reason.isEmpty ? .closed : .failed(reason)
        default:
            let reason = TLSError.lastOpenSSLError()
            return .failed(reason.isEmpty ? "TLS error \(code)" : reason)
        }
    }
}
