import Glibc

/// Free TCP ports on 127.0.0.1, picked by the kernel.
enum LoopbackPort {
    /// `count` distinct ports: every socket stays bound until all are picked, so none is handed out twice.
    /// Another process may still take one between here and the child's bind; the child then fails loudly.
    static func free(count: Int) throws -> [UInt16] {
        var sockets: [Int32] = []
        defer { sockets.forEach { _ = close($0) } }
        var ports: [UInt16] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw PortError.system("socket", errno) }
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
            guard bound else { throw PortError.system("bind", errno) }
            ports.append(UInt16(bigEndian: address.sin_port))
        }
        return ports
    }

    enum PortError: Error, CustomStringConvertible {
        case system(String, Int32)
        var description: String {
            switch self { case .system(let call, let code): "\(call) on 127.0.0.1 failed: errno \(code)" }
        }
    }
}
