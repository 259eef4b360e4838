import Glibc

/// A bound, listening, non-blocking socket.
struct ListeningSocket: Sendable {
    let fd: Int32
    let address: SocketAddress

    /// Binds every address `host` stands for (see `HTTPServerConfiguration.host`). On failure nothing stays open.
    static func open(host rawHost: String, port: UInt16, backlog: Int32) throws(HTTPServerError) -> [ListeningSocket] {
        var host = rawHost
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let shown = ListenAddress(host: host, port: port).description

        if host.isEmpty || host == "::" {
            // One dual-stack socket serves IPv6 and IPv4; without IPv6 in the kernel, IPv4 alone.
            do {
                return [try bind(.wildcard(ipv6: true, port: port), dualStack: true, backlog: backlog, shown: shown)]
            } catch where host.isEmpty && (error.errno == EAFNOSUPPORT || error.errno == EADDRNOTAVAIL) {
                return [try bind(.wildcard(ipv6: false, port: port), dualStack: false, backlog: backlog, shown: shown)]
            }
        }

        let numeric = ListenAddress.isIPv4(host) || ListenAddress.isIPv6(host)
        let addresses = try resolve(host, port: port, numeric: numeric, shown: shown)
        var sockets: [ListeningSocket] = []
        var firstError: HTTPServerError?
        for var address in addresses {
            // With port 0, every address gets the port the system chose for the first.
            if let first = sockets.first { address.port = first.address.port }
            do {
                sockets.append(try bind(address, dualStack: false, backlog: backlog, shown: nil))
            } catch {
                // A name may stand for an address family the host lacks (::1 without IPv6): skip it if
                // another address works. Anything else, such as a port in use, is fatal.
                if error.errno == EAFNOSUPPORT || error.errno == EADDRNOTAVAIL {
                    firstError = firstError ?? error
                    continue
                }
                sockets.forEach { Glibc.close($0.fd) }
                throw error
            }
        }
        guard !sockets.isEmpty else {
            throw firstError ?? HTTPServerError(message: "resolve \(shown): no address to listen on")
        }
        return sockets
    }

    private static func resolve(_ host: String, port: UInt16, numeric: Bool,
                                shown: String) throws(HTTPServerError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV | (numeric ? AI_NUMERICHOST : 0)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            let reason = status == EAI_SYSTEM ? HTTPServerError.errnoText(errno)
                : gai_strerror(status).map { String(cString: $0) } ?? "error \(status)"
            throw HTTPServerError(message: "resolve \(shown): \(reason)")
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var node: UnsafeMutablePointer<addrinfo>? = list
        while let current = node {
            if let raw = current.pointee.ai_addr,
               current.pointee.ai_family == AF_INET || current.pointee.ai_family == AF_INET6 {
                let address = SocketAddress(raw, length: current.pointee.ai_addrlen)
                if !addresses.contains(where: { $0.description == address.description }) { addresses.append(address) }
            }
            node = current.pointee.ai_next
        }
        return addresses
    }

    private static func bind(_ address: SocketAddress, dualStack: Bool, backlog: Int32,
                             shown: String?) throws(HTTPServerError) -> ListeningSocket {
        let subject = shown ?? address.description
        let fd = socket(address.family, FileDescriptor.streamCloseOnExec, 0)
        guard fd >= 0 else { throw .system("socket", subject, errno: errno) }
        func fail(_ operation: String, _ code: Int32) -> HTTPServerError {
            Glibc.close(fd)
            return .system(operation, subject, errno: code)
        }
        var code = FileDescriptor.makeNonBlockingCloseOnExec(fd)
        if code != 0 { throw fail("fcntl", code) }
        // Restarting while old connections sit in TIME_WAIT must not fail with "Address already in use".
        // (Not SO_REUSEPORT, which would let a second exporter share the port silently.)
        code = FileDescriptor.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
        if code != 0 { throw fail("setsockopt SO_REUSEADDR", code) }
        if address.family == AF_INET6 {
            code = FileDescriptor.setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, dualStack ? 0 : 1)
            if code != 0 { throw fail("setsockopt IPV6_V6ONLY", code) }
        }
        if address.withSockaddr({ Glibc.bind(fd, $0, $1) }) != 0 { throw fail("bind", errno) }
        if listen(fd, backlog) != 0 { throw fail("listen", errno) }
        var bound = SocketAddress()
        if bound.withMutableSockaddr({ getsockname(fd, $0, $1) }) != 0 { throw fail("getsockname", errno) }
        return ListeningSocket(fd: fd, address: bound)
    }
}
