import Glibc
import Testing
@testable import HTTPServer

@Suite struct SocketAddressTests {
    static func address(_ text: String) -> SocketAddress {
        if text.contains(":") {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            inet_pton(AF_INET6, text, &sin6.sin6_addr)
            return withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    SocketAddress($0, length: socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, text, &sin.sin_addr)
        return withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                SocketAddress($0, length: socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    /// One IPv6 host commonly holds a whole /64: its addresses share one fair share of the connection cap.
    @Test func groupsIPv6ClientsByTheir64Prefix() {
        #expect(Self.address("2001:db8:1:2:aaaa::1").clientKey == "2001:db8:1:2::/64")
        #expect(Self.address("2001:db8:1:2:bbbb:cccc:dddd:eeee").clientKey == "2001:db8:1:2::/64")
        #expect(Self.address("2001:db8:1:3::1").clientKey == "2001:db8:1:3::/64")
        #expect(Self.address("192.0.2.7").clientKey == "192.0.2.7")
        // An IPv4 client on a dual-stack socket counts by its IPv4 address.
        #expect(Self.address("::ffff:192.0.2.7").clientKey == "192.0.2.7")
    }
}
