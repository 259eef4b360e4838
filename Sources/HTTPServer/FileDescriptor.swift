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

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) -> Int32 {
        var value = value
        return setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 ? 0 : errno
    }
}
