import Glibc

/// Small fcntl/setsockopt helpers; each returns 0 or the errno.
enum FileDescriptor {
    /// Non-blocking, so the event loop never waits in a call; close-on-exec, so a child process started by the
    /// exporter does not inherit (and keep open) client connections. accept4 is not exported by Glibc here.
    static func makeNonBlockingCloseOnExec(_ fd: Int32) -> Int32 {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else { return errno }
        guard fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 else { return errno }
        return 0
    }

    /// `SOCK_STREAM` with close-on-exec set atomically by `socket(2)` itself.
    static let streamCloseOnExec = Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue)

    private typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?,
                                                UnsafeMutablePointer<socklen_t>?, Int32) -> Int32
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32
    /// accept4 and pipe2 are in glibc but not in the Glibc module (they are GNU extensions): found at run time.
    private static let accept4: Accept4? = dlsym(nil, "accept4").map { unsafeBitCast($0, to: Accept4.self) }
    private static let pipe2: Pipe2? = dlsym(nil, "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }

    /// accept(2) whose descriptor is non-blocking and close-on-exec from the start. Setting the flag afterwards
    /// leaves a window in which a process spawned by another thread inherits the connection, and the server's
    /// close then no longer closes it: the client hangs and a response to a departed client never fails.
    static func acceptCloseOnExec(_ listener: Int32, _ address: UnsafeMutablePointer<sockaddr>?,
                                  _ length: UnsafeMutablePointer<socklen_t>?) -> Int32 {
        if let accept4 {
            return accept4(listener, address, length, Int32(SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue))
        }
        let fd = Glibc.accept(listener, address, length)
        if fd >= 0 { _ = makeNonBlockingCloseOnExec(fd) }
        return fd
    }

    /// pipe(2) with both ends close-on-exec from the start (see `acceptCloseOnExec`); 0 or the errno.
    static func pipeCloseOnExec(_ fds: inout [Int32]) -> Int32 {
        if let pipe2 { return pipe2(&fds, O_CLOEXEC) == 0 ? 0 : errno }
        guard pipe(&fds) == 0 else { return errno }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return 0
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) -> Int32 {
        var value = value
        return setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 ? 0 : errno
    }
}
