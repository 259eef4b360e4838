import COpenSSL

/// Why a TLS context could not be built, or a handshake failed. Never holds key material.
public struct TLSError: Error, Sendable, CustomStringConvertible {
    /// The `tls_server_config` key at fault, when one is (e.g. `cert_file`).
    public var key: String?
    public var message: String

    public init(key: String? = nil, _ message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { key.map { "\($0): \(message)" } ?? message }

    /// `what`, then OpenSSL's own reason from this thread's error queue (which it clears).
    static func openSSL(key: String?, _ what: String) -> TLSError {
        let reason = lastOpenSSLError()
        return TLSError(key: key, reason.isEmpty ? what : "\(what) (\(reason))")
    }

    /// The newest entry on this thread's OpenSSL error queue as text, and an empty queue after.
    static func lastOpenSSLError() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let count = buffer.count
        buffer.withUnsafeMutableBufferPointer { copenssl_last_error($0.baseAddress, count) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
