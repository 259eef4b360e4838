import Glibc
import Synchronization

/// How workers hand responses to the event loop, and how `stop()` reaches it: a locked queue plus a pipe whose
/// read end the loop polls. Owned by a class whose deinit closes the pipe, so a worker finishing after the loop
/// has exited never writes into a reused descriptor number.
final class Mailbox: Sendable {
    struct Completion: Sendable {
        var fd: Int32
        /// Tells a reused descriptor number apart from the connection that asked.
        var connectionID: UInt64
        var response: HTTPResponse
    }

    private struct Contents {
        var completions: [Completion] = []
        var closed = false
        var stopRequested = false
    }

    private let contents = Mutex(Contents())
    let readFD: Int32
    private let writeFD: Int32

    init() throws(HTTPServerError) {
        var fds: [Int32] = [-1, -1]
        let code = FileDescriptor.pipeCloseOnExec(&fds)
        guard code == 0 else { throw .system("pipe", "for the event loop", errno: code) }
        for fd in fds {
            let code = FileDescriptor.makeNonBlockingCloseOnExec(fd)
            if code != 0 {
                fds.forEach { _ = Glibc.close($0) }
                throw .system("fcntl", "event loop pipe", errno: code)
            }
        }
        readFD = fds[0]
        writeFD = fds[1]
    }

    deinit {
        Glibc.close(readFD)
        Glibc.close(writeFD)
    }

    /// From a worker. Dropped once the loop has exited.
    func post(_ completion: Completion) {
        let wake = contents.withLock { contents -> Bool in
            guard !contents.closed else { return false }
            contents.completions.append(completion)
            // One wake-up per batch: the loop takes everything queued when it wakes.
            return contents.completions.count == 1
        }
        if wake { self.wake() }
    }

    func requestStop() {
        contents.withLock { $0.stopRequested = true }
        wake()
    }

    var stopRequested: Bool { contents.withLock { $0.stopRequested } }

    /// On the loop: everything posted so far. Drain the pipe first, so a post racing with this still wakes it.
    func take() -> [Completion] {
        contents.withLock { contents in
            defer { contents.completions = [] }
            return contents.completions
        }
    }

    func drainWakeUps() {
        var bytes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        while withUnsafeMutableBytes(of: &bytes, { read(readFD, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// The loop has exited: later completions are dropped.
    func close() {
        let dropped = contents.withLock { contents -> [Completion] in
            contents.closed = true
            defer { contents.completions = [] }
            return contents.completions
        }
        // Released outside the lock: a response's `bodyOwner` may take a lock of its own handler's when it goes.
        withExtendedLifetime(dropped) {}
    }

    private func wake() {
        var byte: UInt8 = 1
        // EAGAIN means the pipe is full of wake-ups already: nothing is lost.
        _ = write(writeFD, &byte, 1)
    }
}
