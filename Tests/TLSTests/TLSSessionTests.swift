import COpenSSL
import Glibc
import Testing
import TestSupport
@testable import TLS

/// A server session and a client session over a socket pair, driven by hand: what one `read` does with a client
/// that sends slowly or floods records that are not data.
@Suite(.requires(.openssl)) struct TLSSessionTests {
    /// Both ends, handshake done; the server's records gather in its own `TLSRecordBuffer`.
    final class Pair {
        let sockets: TLSRecordBufferTests.SocketPair
        let server: TLSSession
        let client: TLSSession
        let records: TLSRecordBuffer

        init() async throws {
            let certificates = try await TestCertificates.make()
            let context = try TLSServerContext(settings: TLSServerSettings(certificate: .file(certificates.serverCertificate),
                                                                           privateKey: .file(certificates.serverKey)))
            sockets = try TLSRecordBufferTests.SocketPair()
            records = try TLSRecordBuffer()
            server = try TLSSession(server: context, fd: sockets.ours, records: records)
            client = try TLSClientContext().session(fd: sockets.peer, serverName: "localhost")
            for _ in 0..<100 where !(server.handshakeDone && client.handshakeDone) {
                _ = client.handshake()
                _ = server.handshake()
            }
            guard server.handshakeDone && client.handshakeDone else { throw TLSError("the handshake did not finish") }
            _ = sockets.drain()  // the server's session tickets: the tests below count what comes after
        }

        /// One record of `bytes` as the client would send it, not sent: the client writes into memory for a moment.
        func record(_ bytes: [UInt8]) throws -> [UInt8] {
            try capture { _ = bytes.withUnsafeBytes { SSL_write(client.ssl, $0.baseAddress, Int32($0.count)) } }
        }

        /// `count` key updates (each asking for the server's in return), as the client would send them.
        func keyUpdates(_ count: Int) throws -> [UInt8] {
            try capture {
                for _ in 0..<count {
                    _ = SSL_key_update(client.ssl, SSL_KEY_UPDATE_REQUESTED)
                    _ = SSL_do_handshake(client.ssl)
                }
            }
        }

        private func capture(_ body: () -> Void) throws -> [UInt8] {
            guard let memory = BIO_new(BIO_s_mem()), let socket = SSL_get_wbio(client.ssl) else { throw TLSError("BIO") }
            BIO_up_ref(socket)
            SSL_set0_wbio(client.ssl, memory)
            body()
            var bytes: UnsafeMutablePointer<CChar>?
            let count = Int(BIO_ctrl(memory, BIO_CTRL_INFO, 0, &bytes))
            let captured = [UInt8](UnsafeRawBufferPointer(start: bytes, count: count))
            SSL_set0_wbio(client.ssl, socket)
            return captured
        }

        func sendRaw(_ bytes: ArraySlice<UInt8>) {
            _ = bytes.withUnsafeBytes { send(sockets.peer, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
    }

    /// Part of a record arrives and the rest does not (yet): the read wants more, and the session does not claim
    /// buffered input, which would make the event loop read again at once, and again, until the client sends on.
    @Test func partOfARecordIsNotInputToReadAgain() async throws {
        let pair = try await Pair()
        let text = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        let request = try pair.record(text)
        pair.sendRaw(request[..<10])
        var buffer = [UInt8](repeating: 0, count: 4096)
        #expect(buffer.withUnsafeMutableBytes { pair.server.read(into: $0) } == .wantRead)
        #expect(!pair.server.hasBufferedInput)
        pair.sendRaw(request[10...])
        let read = buffer.withUnsafeMutableBytes { pair.server.read(into: $0) }
        #expect(read == .done(text.count))
        #expect(Array(buffer.prefix(text.count)) == text)
    }

    /// A client floods key updates, each asking for one in return: one read goes through what OpenSSL already
    /// holds (one read-ahead buffer) and returns, rather than reading on as long as the client sends (which would
    /// keep the event loop from every other connection); the next reads do the rest, and every update is answered.
    @Test func oneReadHandlesAtMostOneBufferOfKeyUpdates() async throws {
        let pair = try await Pair()
        let updates = try pair.keyUpdates(2_000)
        let answer = updates.count / 2_000  // a key update and its answer are records of one size
        pair.sendRaw(updates[...])
        var buffer = [UInt8](repeating: 0, count: 4096)
        #expect(buffer.withUnsafeMutableBytes { pair.server.read(into: $0) } == .wantRead)
        let first = pair.sockets.drain().count / answer
        #expect(first > 0 && first < 1_000, "one read answered \(first) of 2,000 key updates")
        var answered = first
        for _ in 0..<100 where answered < 2_000 {
            _ = buffer.withUnsafeMutableBytes { pair.server.read(into: $0) }
            answered += pair.sockets.drain().count / answer
        }
        // OpenSSL sends the last answer ahead of the server's next record (RFC 8446: before its next data): one byte
        // of data, a 23-byte record (5 of header, the byte, its type, 16 of tag), brings it out.
        let data: [UInt8] = [0x21]
        #expect(data.withUnsafeBytes { pair.server.write($0) } == .done(1))
        answered += (pair.sockets.drain().count - 23) / answer
        #expect(answered == 2_000)
    }
}
