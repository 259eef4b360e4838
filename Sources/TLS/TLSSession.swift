import COpenSSL
import Glibc

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
    /// A server's output: records gather here and leave in one send(2) (see `write`). Nil for a client, whose
    /// OpenSSL writes to the socket itself.
    private let gathered: OpaquePointer?
    /// Kept alive as long as `gathered` may point into it.
    private let records: TLSRecordBuffer?
    private let fd: Int32
    /// Plaintext bytes of the last `write` already encrypted into `gathered`, reported once they are sent.
    private var committed = 0
    /// The last read found no whole record: what OpenSSL holds, if anything, is part of one, and only the socket
    /// can complete it.
    private var awaitingInput = false

    /// Plaintext taken by one `write`: eight full records, one send(2) where the socket takes them all. Bounds what
    /// a connection whose client stopped reading holds besides the kernel's socket buffer.
    public static let writeBudget = 128 * 1024

    /// A server connection on the accepted socket `fd` (which the owner keeps and closes), its records gathered in
    /// `records`, the buffer of the thread that drives it.
    public init(server context: TLSServerContext, fd: Int32, records: TLSRecordBuffer) throws(TLSError) {
        guard let ssl = SSL_new(context.context) else { throw .openSSL(key: nil, "cannot create a TLS connection") }
        var gathered: OpaquePointer?
        guard copenssl_set_gathering_bios(ssl, fd, TLSRecordBuffer.method, records.shared, &gathered) == 1,
              let gathered else {
            SSL_free(ssl)
            throw .openSSL(key: nil, "cannot attach a TLS connection to its socket")
        }
        SSL_set_accept_state(ssl)
        self.ssl = ssl
        self.gathered = gathered
        self.records = records
        self.fd = fd
    }

    init(client ssl: OpaquePointer, fd: Int32) {
        self.ssl = ssl
        self.gathered = nil
        self.records = nil
        self.fd = fd
    }

    deinit {
        SSL_free(ssl)
    }

    /// Drives the handshake on; `.done(0)` once it completed and its last flight is sent. A failure's alert is
    /// sent best effort.
    public func handshake() -> Progress {
        if !handshakeDone {
            let result = SSL_do_handshake(ssl)
            guard result == 1 else {
                let outcome = progress(after: result)
                let sending = flush()
                if case .wantRead = outcome, case .wantWrite = sending { return .wantWrite }
                return outcome
            }
            handshakeDone = true
        }
        return flush()
    }

    /// Decrypted bytes into `buffer`. What reading makes OpenSSL write (a key update's answer, an alert) goes out
    /// now or with the next call; while a connection's unsent bytes are at `TLSRecordBuffer.perConnectionCap`, this
    /// says `.wantWrite` and reads nothing more, so a client that stops reading cannot make them grow.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Progress {
        switch flush() {
        case .wantWrite: return .wantWrite
        case .failed(let reason): return .failed(reason)
        default: break
        }
        let result = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        let outcome = result > 0 ? Progress.done(Int(result)) : progress(after: result)
        awaitingInput = outcome == .wantRead
        _ = flush()
        return outcome
    }

    /// Encrypts and sends a part of `first` then `second`, as if they were one buffer: a client's at least a
    /// record, a server's up to `writeBudget`, gathered and sent with one send(2). `.wantWrite`: call again with
    /// the same bytes once the socket is writable (OpenSSL's own rule for a retried write); `.done(n)` only
    /// once those n bytes are on their way.
    public func write(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) -> Progress {
        guard gathered != nil else {
            let bytes = first.isEmpty ? second : first
            guard !bytes.isEmpty else { return .done(0) }
            let result = SSL_write(ssl, bytes.baseAddress, Int32(clamping: bytes.count))
            return result > 0 ? .done(Int(result)) : progress(after: result)
        }
        if committed == 0 {
            // What an earlier call left unsent goes first; new records wait until it has.
            let sending = flush()
            guard case .done = sending else { return sending }
            let total = first.count + second.count
            guard total > 0 else { return .done(0) }
            let budget = min(total, Self.writeBudget)
            while committed < budget {
                let (part, offset) = committed < first.count ? (first, committed) : (second, committed - first.count)
                let count = min(part.count - offset, budget - committed)
                let result = SSL_write(ssl, part.baseAddress! + offset, Int32(clamping: count))
                guard result > 0 else {
                    if committed > 0 {
                        ERR_clear_error()  // reported with the next call, not left for another connection's
                        break
                    }
                    let outcome = progress(after: result)
                    _ = flush()  // an alert, best effort
                    return outcome
                }
                committed += Int(result)
            }
        }
        let sending = flush()
        guard case .done = sending else { return sending }
        defer { committed = 0 }
        return .done(committed)
    }

    /// Bytes to send without waiting for them (a `100 Continue`): they leave now if the socket takes them, else
    /// ahead of the next write.
    public func enqueue(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        _ = SSL_write(ssl, bytes.baseAddress, Int32(clamping: bytes.count))
        ERR_clear_error()
        _ = flush()
    }

    /// Sends what OpenSSL gathered: `.done(0)` when nothing is left, `.wantWrite` when the socket is full.
    private func flush() -> Progress {
        guard let gathered else { return .done(0) }
        switch copenssl_gather_flush(gathered, fd) {
        case 1: return .done(0)
        case 0: return .wantWrite
        default: return .failed(String(cString: strerror(errno)))
        }
    }

    /// Whole records OpenSSL has already taken from the socket but not handed out: poll(2) will not report them, so
    /// the owner must read again. Not after a read that wanted more: then OpenSSL holds at most part of a record
    /// (a client sending slowly, or stopping mid-record), and reading again before the socket has more would spin.
    public var hasBufferedInput: Bool { !awaitingInput && SSL_has_pending(ssl) == 1 }

    /// Sends close_notify, best effort and once; the socket's own shutdown and close stay with the owner.
    public func shutdown() {
        guard handshakeDone, !shutDown else { return }
        shutDown = true
        if SSL_shutdown(ssl) < 0 { ERR_clear_error() }
        _ = flush()
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
