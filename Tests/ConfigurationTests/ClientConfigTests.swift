import Configuration
import Foundation
import Logging
import TestSupport
import Testing

/// `tls_config`, `proxy_url`, `no_proxy` and `proxy_from_environment` on a target: parsed, and refused at load when
/// they could never work.
@Suite struct ClientConfigTests {
    static func config(_ extra: String) -> [UInt8] {
        Array(#"{"targets":[{"name":"a","vendor":"rsa","url":"https://rsa.example","runs":["1"]\#(extra)}]}"#.utf8)
    }

    static func problems(_ extra: String, redactor: SecretRedactor? = nil) -> [String] {
        do {
            _ = try ConfigLoader.fake(redactor: redactor).parse(config(extra), file: "c.json")
            return []
        } catch {
            return error.lines
        }
    }

    @Test func everyKeyIsParsed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for name in ["ca.pem", "client.pem", "client.key"] { try directory.write(name, "-----BEGIN CERTIFICATE-----\n") }
        let extra = #","tls_config":{"ca_file":"\#(directory.file("ca.pem"))","cert_file":"\#(directory.file("client.pem"))","#
            + #""key_file":"\#(directory.file("client.key"))","server_name":"api.example","insecure_skip_verify":true,"#
            + #""min_version":"TLS13"},"proxy_url":"socks5://proxy.internal:1080","no_proxy":"localhost,.corp""#
        let target = try ConfigLoader.fake().parse(Self.config(extra), file: "c.json").targets[0]
        #expect(target.client == ClientConfig(tls: TLSClientConfig(caFile: directory.file("ca.pem"), certFile: directory.file("client.pem"),
                                                                   keyFile: directory.file("client.key"), serverName: "api.example",
                                                                   insecureSkipVerify: true, minVersion: "TLS13"),
                                              proxyURL: "socks5://proxy.internal:1080", noProxy: "localhost,.corp"))
        let plain = try ConfigLoader.fake().parse(Self.config(""), file: "c.json").targets[0]
        #expect(plain.client == ClientConfig())
        #expect(plain.client.summary == nil)
    }

    @Test(arguments: [
        (#","tls_config":{"ca_file":"/nonexistent/ca.pem"}"#, "c.json: targets[0].tls_config.ca_file: file \"/nonexistent/ca.pem\" does not exist or is not readable"),
        (#","tls_config":{"ca_file":"/"}"#, "c.json: targets[0].tls_config.ca_file: file \"/\" is not a regular file"),
        (#","tls_config":{"key_file":"/nonexistent/k"}"#, "c.json: targets[0].tls_config.key_file: needs cert_file (the client certificate the key belongs to)"),
        (#","tls_config":{"min_version":"TLS14"}"#, "c.json: targets[0].tls_config.min_version: unknown TLS version \"TLS14\" (one of: TLS10, TLS11, TLS12, TLS13)"),
        (#","tls_config":{"insecure_skip_verify":"yes"}"#, "c.json: targets[0].tls_config.insecure_skip_verify: must be true or false, not a string"),
        (#","tls_config":{"ca":"x"}"#, "c.json: targets[0].tls_config.ca: unknown key (known keys: ca_file, cert_file, insecure_skip_verify, key_file, min_version, server_name)"),
        (#","proxy_url":"ftp://proxy:21""#, "c.json: targets[0].proxy_url: scheme must be http, https or socks5, not ftp"),
        (#","proxy_url":"http://proxy:3128","proxy_from_environment":true"#, "c.json: targets[0].proxy_from_environment: give either proxy_url or proxy_from_environment, not both"),
    ])
    func refused(extra: String, line: String) {
        let lines = Self.problems(extra)
        #expect(lines.contains(line), "\(lines)")
    }

    @Test func theProxyPasswordIsASecretAndNeverShown() throws {
        let redactor = SecretRedactor()
        let extra = #","proxy_url":"http://me:pr0xy-pass%21@proxy.internal:3128""#
        let target = try ConfigLoader.fake(redactor: redactor).parse(Self.config(extra), file: "c.json").targets[0]
        #expect(redactor.redact("pr0xy-pass! and pr0xy-pass%21").contains("pr0xy") == false)
        let summary = try #require(target.client.summary)
        #expect(summary == "proxy http://xxxxx@proxy.internal:3128")
        // A refused proxy URL's problem line does not show its password either.
        let refused = Self.problems(#","proxy_url":"ftp://me:s3cret-pass@proxy:21""#)
        #expect(!refused.isEmpty && refused.allSatisfy { !$0.contains("s3cret") }, "\(refused)")
    }
}
