import Glibc

/// A socket address in a `sockaddr_storage`, with numeric formatting (no DNS).
struct SocketAddress: @unchecked Sendable {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)

    init() {}

    /// Copies `length` bytes of a `sockaddr` (e.g. from getaddrinfo).
    init(_ address: UnsafePointer<sockaddr>, length: socklen_t) {
        let count = min(Int(length), MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: address, count: count)) }
        self.length = socklen_t(count)
    }

    /// The IPv6 wildcard `::`, or the IPv4 wildcard `0.0.0.0`.
    static func wildcard(ipv6: Bool, port: UInt16) -> SocketAddress {
        var address = SocketAddress()
        if ipv6 {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            sin6.sin6_addr = in6addr_any
            address.set(sin6)
        } else {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = INADDR_ANY.bigEndian
            address.set(sin)
        }
        return address
    }

    private mutating func set<T>(_ value: T) {
        withUnsafeMutableBytes(of: &storage) { raw in
            withUnsafeBytes(of: value) { raw.copyMemory(from: $0) }
        }
        length = socklen_t(MemoryLayout<T>.size)
    }

    var family: Int32 { Int32(storage.ss_family) }

    var port: UInt16 {
        get {
            withUnsafeBytes(of: storage) { raw in
                switch family {
                case AF_INET: UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port)
                case AF_INET6: UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port)
                default: 0
                }
            }
        }
        set {
            let family = self.family
            withUnsafeMutableBytes(of: &storage) { raw in
                switch family {
                case AF_INET:
                    var sin = raw.load(as: sockaddr_in.self)
                    sin.sin_port = newValue.bigEndian
                    raw.storeBytes(of: sin, as: sockaddr_in.self)
                case AF_INET6:
                    var sin6 = raw.load(as: sockaddr_in6.self)
                    sin6.sin6_port = newValue.bigEndian
                    raw.storeBytes(of: sin6, as: sockaddr_in6.self)
                default: break
                }
            }
        }
    }

    /// `127.0.0.1`, `::1`; an IPv4-mapped IPv6 address (a v4 client on a dual-stack socket) as plain IPv4.
    var host: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let ok: Bool = withUnsafeBytes(of: storage) { raw in
            switch family {
            case AF_INET:
                var address = raw.load(as: sockaddr_in.self).sin_addr
                return inet_ntop(AF_INET, &address, &text, socklen_t(text.count)) != nil
            case AF_INET6:
                var address = raw.load(as: sockaddr_in6.self).sin6_addr
                return inet_ntop(AF_INET6, &address, &text, socklen_t(text.count)) != nil
            default:
                return false
            }
        }
        guard ok else { return "" }
        let result = String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return result.hasPrefix("::ffff:") && result.contains(".") ? String(result.dropFirst(7)) : result
    }

    /// Who the peer is for the connection cap's fair share: its IPv4 address, or its IPv6 /64 (one host
    /// commonly holds a whole /64, and would otherwise count as 2^64 clients), e.g. `2001:db8::/64`.
    var clientKey: String {
        let text = host
        guard family == AF_INET6, text.contains(":") else { return text }
        var prefix = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in6.self).sin6_addr }
        withUnsafeMutableBytes(of: &prefix) { raw in
            for index in 8..<16 { raw[index] = 0 }
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        guard inet_ntop(AF_INET6, &prefix, &buffer, socklen_t(buffer.count)) != nil else { return text }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/64"
    }

    /// `127.0.0.1:9464`, `[::1]:9464`.
    var description: String {
        family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }

    mutating func withMutableSockaddr<R>(_ body: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> R) -> R {
        length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutableBytes(of: &storage) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
    }
}
