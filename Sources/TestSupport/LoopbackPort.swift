import Glibc

/// Free TCP ports on 127.0.0.1, picked by the kernel, for children (the exporter, Prometheus) that must be told
/// their port before they start.
public enum LoopbackPort {
    /// `count` distinct ports: every socket stays bound until all are picked, so none is handed out twice.
    /// Another process may still take one between here and the child's bind; the child then fails loudly.
    public static func free(count: Int) throws(TestFailure) -> [UInt16] {
        var sockets: [Int32] = []
        defer { sockets.forEach { _ = close($0) } }
        var ports: [UInt16] = []
        for _ in 0..<count {
            // Close-on-exec: a child spawned meanwhile must not keep the port bound.
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                    bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
                }
            }
            guard bound else { throw TestFailure("bind 127.0.0.1:0: \(String(cString: strerror(errno)))") }
            ports.append(UInt16(bigEndian: address.sin_port))
        }
        return ports
    }

    /// One free port.
    public static func free() throws(TestFailure) -> UInt16 { try free(count: 1)[0] }
}
