import COpenSSL

/// Where the server sessions one thread drives gather their records before sending them: one buffer, reused by every
/// connection, so that a response's records leave in one send(2) and, when the socket takes them all, nothing is
/// allocated. Not thread-safe: one per event loop, used only by its thread; each session keeps it alive.
public final class TLSRecordBuffer: @unchecked Sendable {
    let shared: UnsafeMutablePointer<copenssl_gather_shared>

    /// The gathering BIO method, made once for the process and never changed: OpenSSL only reads it.
    nonisolated(unsafe) static let method: OpaquePointer? = copenssl_gather_method_new()

    public init() throws(TLSError) {
        guard Self.method != nil, let shared = copenssl_gather_shared_new() else {
            throw .openSSL(key: nil, "cannot create a TLS output buffer")
        }
        self.shared = shared
    }

    deinit {
        copenssl_gather_shared_free(shared)
    }

    /// Unsent bytes one connection may hold before OpenSSL must wait for its socket to drain.
    public static var perConnectionCap: Int { copenssl_gather_cap() }
}
