import Glibc
import TestSupport
@testable import HTTPServer

/// Many loopback connections from one source address, each answered once and then left idle (kept alive), as a
/// client hoarding connections would. Opened and read on one thread, in batches so the listen backlog never
/// overflows (a dropped SYN costs a second's retry). Closed on `close()` or deinit.
final class IdleClients: @unchecked Sendable {  // used by one thread at a time: the test awaits each call
    private var clients: [TestClient] = []
    /// Responses received, by status.
    private(set) var statuses: [Int: Int] = [:]
    private var closed: Set<Int32> = []

    /// `requests(i)` is what connection `i` sends; each must get a complete response. `batch` connections are
    /// opened and sent their requests before their responses are read: with 1, each connection is idle before
    /// the next one arrives.
    static func open(count: Int, port: UInt16, source: String, batch: Int = 200,
                     requests: @escaping @Sendable (Int) -> String) async throws -> IdleClients {
        try await onThread {
            let clients = IdleClients()
            do {
                try clients.open(count: count, port: port, source: source, batch: batch, requests: requests)
            } catch {
                clients.close()
                throw error
            }
            return clients
        }
    }

    private init() {}

    deinit { close() }

    func close() {
        clients.forEach { $0.close() }
        clients = []
    }

    /// How many of the connections the server has closed (end of input or reset) so far. Never waits: poll with
    /// `eventually`.
    func closedByServer() -> Int {
        var polled = clients.map(\.fd).filter { !closed.contains($0) }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        guard poll(&polled, nfds_t(polled.count), 0) > 0 else { return closed.count }
        for entry in polled where entry.revents != 0 {
            var byte: UInt8 = 0
            if recv(entry.fd, &byte, 1, Int32(MSG_DONTWAIT)) <= 0 { closed.insert(entry.fd) }
        }
        return closed.count
    }

    private func open(count: Int, port: UInt16, source: String, batch: Int, requests: (Int) -> String) throws {
        var next = 0
        while next < count {
            let range = next..<min(count, next + batch)
            var opened: [TestClient] = []
            for index in range {
                let client = try TestClient.connectNow(port: port, source: source)
                clients.append(client)
                opened.append(client)
                try client.sendNow(Array(requests(index).utf8))
            }
            for client in opened {
                statuses[try client.responseNow().status, default: 0] += 1
            }
            next = range.upperBound
        }
    }
}
