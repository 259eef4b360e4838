import Glibc

/// A Prometheus-style `--web.listen-address` value, `[host]:port`:
/// `:9464` (every interface, IPv6 and IPv4 when the system has IPv6), `0.0.0.0:9464`, `127.0.0.1:9464`,
/// `[::1]:9464`, `[::]:9464`, `localhost:9464`. Parsing checks the form only; names are resolved by `start()`.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// Empty for every interface; otherwise an IPv4 or IPv6 literal (without brackets) or a host name.
    public var host: String
    public var port: UInt16

    public init(host: String = "", port: UInt16) {
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws(ListenAddressError) {
        func fail(_ reason: String) -> ListenAddressError { ListenAddressError(input: text, reason: reason) }
        let hostPart: Substring, portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw fail("missing \"]\" after the IPv6 address") }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw fail(rest.isEmpty ? "missing port" : "unexpected \"\(rest)\" after \"]\"")
            }
            portPart = rest.dropFirst()
            guard Self.isIPv6(hostPart) else { throw fail("invalid IPv6 address \"\(hostPart)\"") }
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw fail("missing port") }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            if hostPart.contains(":") {
                throw fail(Self.isIPv6(hostPart) ? "an IPv6 address needs brackets, e.g. \"[::1]:9464\""
                                                 : "invalid host \"\(hostPart)\"")
            }
            if let reason = Self.problem(withHost: hostPart) { throw fail(reason) }
        }
        guard !portPart.isEmpty else { throw fail("missing port") }
        guard portPart.count <= 5, portPart.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let port = Int(portPart), port <= 65535 else {
            throw fail("invalid port \"\(portPart)\": a number from 0 to 65535")
        }
        self.init(host: String(hostPart), port: UInt16(port))
    }

    /// `:9464`, `127.0.0.1:9464`, `[::1]:9464`.
    public var description: String {
        if host.isEmpty { return ":\(port)" }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    static func isIPv4(_ text: some StringProtocol) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, String(text), &address) == 1
    }

    /// An IPv6 literal, with an optional zone (`fe80::1%eth0`).
    static func isIPv6(_ text: some StringProtocol) -> Bool {
        let parts = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].utf8.allSatisfy({ isNameByte($0) && $0 != 0x2E }) else { return false }
        }
        var address = in6_addr()
        return inet_pton(AF_INET6, String(parts[0]), &address) == 1
    }

    private static func problem(withHost host: Substring) -> String? {
        if host.isEmpty || isIPv4(host) { return nil }
        if host.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }) {
            return "invalid IPv4 address \"\(host)\""
        }
        guard host.utf8.count <= 253, host.utf8.allSatisfy(isNameByte),
              !host.hasPrefix("."), !host.hasPrefix("-") else {
            return "invalid host \"\(host)\""
        }
        return nil
    }

    /// Letters, digits, `-`, `.`, `_` (seen in container and service names).
    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F: true
        default: false
        }
    }
}
