import Glibc

/// TCP ports on 127.0.0.1 picked by the kernel: free ones for children (the exporter, Prometheus) that must be told
/// their port before they start, and bound sockets for a test's own peers.
public enum LoopbackPort {
    /// A TCP socket bound to 127.0.0.1 on a port the kernel picks, listening with `backlog` unless it is nil (then
    /// a connection to it is refused). Close-on-exec, so a child spawned meanwhile does not hold it; the caller
    /// closes it.
    public static func bind(listening backlog: Int32? = nil) throws(TestFailure) -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                Glibc.bind(fd, raw, length) == 0 && (backlog.map { listen(fd, $0) == 0 } ?? true)
                    && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else {
            let code = errno
            close(fd)
            throw TestFailure("bind\(backlog == nil ? "" : " and listen") on 127.0.0.1:0: \(String(cString: strerror(code)))")
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    /// `count` distinct free ports: every socket stays bound until all are picked, so none is handed out twice.
    /// Another process may still take one between here and the child's bind; the child then fails loudly.
    public static func free(count: Int) throws(TestFailure) -> [UInt16] {
        var sockets: [Int32] = []
        defer { sockets.forEach { _ = close($0) } }
        var ports: [UInt16] = []
        for _ in 0..<count {
            let (fd, port) = try bind()
            sockets.append(fd)
            ports.append(port)
        }
        return ports
    }

    /// One free port.
    public static func free() throws(TestFailure) -> UInt16 { try free(count: 1)[0] }
}
