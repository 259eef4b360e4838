import Testing
@testable import HTTPServer

@Suite struct ListenAddressTests {
    @Test(arguments: [
        (":9464", "", 9464, ":9464"),
        ("0.0.0.0:9464", "0.0.0.0", 9464, "0.0.0.0:9464"),
        ("127.0.0.1:80", "127.0.0.1", 80, "127.0.0.1:80"),
        ("[::1]:9464", "::1", 9464, "[::1]:9464"),
        ("[::]:0", "::", 0, "[::]:0"),
        ("[fe80::1%eth0]:9464", "fe80::1%eth0", 9464, "[fe80::1%eth0]:9464"),
        ("localhost:9464", "localhost", 9464, "localhost:9464"),
        ("exporter-1.svc_a.local:65535", "exporter-1.svc_a.local", 65535, "exporter-1.svc_a.local:65535"),
    ])
    func parses(_ text: String, host: String, port: Int, shown: String) throws {
        let address = try ListenAddress(parsing: text)
        #expect(address.host == host)
        #expect(address.port == UInt16(port))
        #expect(address.description == shown)
    }

    @Test(arguments: [
        ("abc", "missing port"),
        ("", "missing port"),
        (":", "missing port"),
        ("127.0.0.1:", "missing port"),
        ("[::1]", "missing port"),
        ("9464", "missing port"),
        (":abc", "invalid port \"abc\": a number from 0 to 65535"),
        (":65536", "invalid port \"65536\": a number from 0 to 65535"),
        (":-1", "invalid port \"-1\": a number from 0 to 65535"),
        (":+80", "invalid port \"+80\": a number from 0 to 65535"),
        (":0009464", "invalid port \"0009464\": a number from 0 to 65535"),
        ("::1:9464", "an IPv6 address needs brackets, e.g. \"[::1]:9464\""),
        ("[::1:9464", "missing \"]\" after the IPv6 address"),
        ("[::1]9464", "unexpected \"9464\" after \"]\""),
        ("[1.2.3.4]:80", "invalid IPv6 address \"1.2.3.4\""),
        ("[zz::1]:80", "invalid IPv6 address \"zz::1\""),
        ("256.1.1.1:80", "invalid IPv4 address \"256.1.1.1\""),
        ("bad host:80", "invalid host \"bad host\""),
        ("-x:80", "invalid host \"-x\""),
        ("http://x:80", "invalid host \"http://x\""),
    ])
    func refuses(_ text: String, reason: String) {
        #expect(throws: ListenAddressError(input: text, reason: reason)) { try ListenAddress(parsing: text) }
    }

    @Test func describesErrorsWithTheInput() {
        #expect(String(describing: ListenAddressError(input: "abc", reason: "missing port"))
            == "listen address \"abc\": missing port")
    }

    @Test func feedsTheConfiguration() throws {
        let configuration = HTTPServerConfiguration(address: try ListenAddress(parsing: "[::1]:9464"))
        #expect(configuration.host == "::1")
        #expect(configuration.port == 9464)
        #expect(configuration.address.description == "[::1]:9464")
    }
}
