import COpenSSL
import Glibc
import Testing
@testable import TLS

/// The gathering BIO behind `TLSRecordBuffer`, without OpenSSL sessions: bytes written to one connection's BIO
/// leave on that connection's socket only, in order, and what a full socket refuses stops at the cap.
@Suite struct TLSRecordBufferTests {
    /// A connected pair of Unix stream sockets: `ours` is the server's end, `peer` the client's.
    final class SocketPair {
        let ours: Int32
        let peer: Int32
        init() throws {
            var fds: [Int32] = [0, 0]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { throw TLSError("socketpair failed") }
            (ours, peer) = (fds[0], fds[1])
            _ = fcntl(ours, F_SETFL, fcntl(ours, F_GETFL) | O_NONBLOCK)
            _ = fcntl(peer, F_SETFL, fcntl(peer, F_GETFL) | O_NONBLOCK)
        }
        deinit {
            Glibc.close(ours)
            Glibc.close(peer)
        }
        /// Everything the peer can read now.
        func drain() -> [UInt8] {
            var out: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = chunk.withUnsafeMutableBytes { recv(peer, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { return out }
                out += chunk[0..<count]
            }
        }
    }

    /// A gathering BIO over `records`, freed with the value.
    final class Gathering {
        let bio: OpaquePointer
        init(_ records: TLSRecordBuffer) throws {
            guard let bio = copenssl_gather_bio_new(TLSRecordBuffer.method, records.shared) else { throw TLSError("no BIO") }
            self.bio = bio
        }
        deinit { BIO_free(bio) }
        func write(_ bytes: [UInt8]) -> Int32 { bytes.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) } }
        func flush(to fd: Int32) -> Int32 { copenssl_gather_flush(bio, fd) }
    }

    /// Runs of equal bytes, "1000×97 10×65": short enough for a failure message.
    static func runs(_ bytes: [UInt8]) -> String {
        var out: [String] = []
        var index = 0
        while index < bytes.count {
            var end = index
            while end < bytes.count && bytes[end] == bytes[index] { end += 1 }
            out.append("\(end - index)×\(bytes[index])")
            index = end
        }
        return out.isEmpty ? "nothing" : out.joined(separator: " ")
    }

    @Test func eachConnectionsBytesLeaveOnItsOwnSocketInOrder() throws {
        let records = try TLSRecordBuffer()
        let (a, b) = (try Gathering(records), try Gathering(records))
        let (socketA, socketB) = (try SocketPair(), try SocketPair())
        // A's bytes wait in the shared buffer when B writes: they move to A's own buffer, never out on B's socket.
        #expect(a.write(Array(repeating: 0x61, count: 1000)) == 1000)
        #expect(b.write(Array(repeating: 0x62, count: 500)) == 500)
        #expect(a.write(Array(repeating: 0x41, count: 10)) == 10)
        #expect(b.flush(to: socketB.ours) == 1)
        #expect(Self.runs(socketB.drain()) == "500×98")
        #expect(a.flush(to: socketA.ours) == 1)
        #expect(Self.runs(socketA.drain()) == "1000×97 10×65")
    }

    /// A flush that fails outright (the peer is gone) leaves its bytes behind; the next connection to write must
    /// still send only its own.
    @Test func aFailedFlushLeavesNothingForTheNextConnection() throws {
        let records = try TLSRecordBuffer()
        let (a, b) = (try Gathering(records), try Gathering(records))
        let (socketA, socketB) = (try SocketPair(), try SocketPair())
        shutdown(socketA.peer, Int32(SHUT_RDWR))
        Glibc.close(socketA.peer)
        #expect(a.write(Array(repeating: 0x61, count: 300)) == 300)
        #expect(a.flush(to: socketA.ours) == -1)
        #expect(b.write(Array(repeating: 0x62, count: 200)) == 200)
        #expect(b.flush(to: socketB.ours) == 1)
        #expect(Self.runs(socketB.drain()) == "200×98")
    }

    /// A client that stops reading: the socket fills, then the connection's own buffer, and at the cap the BIO
    /// asks OpenSSL to retry instead of taking more (so `SSL_read` reports WANT_WRITE and reading stops).
    @Test func unsentBytesStopAtTheCap() throws {
        let records = try TLSRecordBuffer()
        let a = try Gathering(records)
        let socket = try SocketPair()
        let record = [UInt8](repeating: 0x72, count: 16 * 1024)
        var accepted = 0
        var refused = false
        for _ in 0..<1_000 {
            let written = a.write(record)
            if written < 0 {
                refused = BIO_test_flags(a.bio, BIO_FLAGS_SHOULD_RETRY | BIO_FLAGS_WRITE) == BIO_FLAGS_SHOULD_RETRY | BIO_FLAGS_WRITE
                break
            }
            accepted += Int(written)
            #expect(a.flush(to: socket.ours) >= 0)
        }
        #expect(refused, "the BIO took \(accepted) bytes without asking to retry")
        let unsentAtMost = TLSRecordBuffer.perConnectionCap + record.count
        let sent = socket.drain().count
        #expect(accepted - sent <= unsentAtMost, "\(accepted - sent) bytes held")
        // Once the socket drains, writing goes on.
        while a.flush(to: socket.ours) == 0 { _ = socket.drain() }
        #expect(a.write(record) == Int32(record.count))
    }
}
