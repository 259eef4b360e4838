import ChildProcesses
import Foundation
import Glibc

/// A CA, a server certificate (localhost, 127.0.0.1) and client certificates made with the real `openssl` into a
/// temporary directory; P-256 keys, so making them takes a moment. `rogue*`: a client certificate from another CA.
/// Tests that make them carry `.requires(.openssl)`.
public struct TestCertificates: Sendable {
    public let directory: URL
    public var caCertificate: String { path("ca.pem") }
    public var serverCertificate: String { path("server.pem") }
    public var serverKey: String { path("server.key") }
    /// SAN `DNS:prometheus.example`, signed by the CA.
    public var clientCertificate: String { path("client.pem") }
    public var clientKey: String { path("client.key") }
    /// SAN `DNS:intruder.example`, signed by the CA.
    public var otherClientCertificate: String { path("other.pem") }
    public var otherClientKey: String { path("other.key") }
    /// Signed by a CA the server does not trust.
    public var rogueCertificate: String { path("rogue.pem") }
    public var rogueKey: String { path("rogue.key") }

    /// One set per test process, made on first use (tests share it read-only), removed when the process exits:
    /// making a set runs `openssl` ten times, load that would slow the timing-sensitive tests running alongside.
    public static func make() async throws -> TestCertificates {
        try await shared.value
    }

    private static let shared = Task { try await makeSet() }

    private static var directoryOfThisProcess: URL {
        FileManager.default.temporaryDirectory.appending(path: "runstatus-tls-test-\(getpid())")
    }

    private static func makeSet() async throws -> TestCertificates {
        let openssl = try Program.openssl.require()
        let directory = directoryOfThisProcess
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: TestCertificates.directoryOfThisProcess) }
        let certificates = TestCertificates(directory: directory)
        func run(_ arguments: [String]) async throws {
            let (status, output) = try await SpawnedProcess.run(openssl, arguments)
            guard status == 0 else { throw TestFailure("openssl \(arguments.joined(separator: " ")) exited \(status): \(output)") }
        }
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        for ca in ["ca", "rogue-ca"] {
            try await run(["req", "-x509"] + key + ["-keyout", certificates.path("\(ca).key"), "-out", certificates.path("\(ca).pem"),
                           "-days", "2", "-subj", "/CN=\(ca)", "-addext", "basicConstraints=critical,CA:TRUE",
                           "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        }
        for (name, ca, san) in [("server", "ca", "DNS:localhost,IP:127.0.0.1"), ("client", "ca", "DNS:prometheus.example"),
                                ("other", "ca", "DNS:intruder.example"), ("rogue", "rogue-ca", "DNS:prometheus.example")] {
            try await run(["req"] + key + ["-keyout", certificates.path("\(name).key"), "-out", certificates.path("\(name).csr"),
                           "-subj", "/CN=\(name)"])
            try "subjectAltName=\(san)\n".write(toFile: certificates.path("\(name).ext"), atomically: true, encoding: .utf8)
            try await run(["x509", "-req", "-in", certificates.path("\(name).csr"), "-CA", certificates.path("\(ca).pem"),
                           "-CAkey", certificates.path("\(ca).key"), "-set_serial", String(UInt32.random(in: 1...UInt32.max)),
                           "-days", "2", "-extfile", certificates.path("\(name).ext"), "-out", certificates.path("\(name).pem")])
        }
        return certificates
    }

    /// A file of the set (or a name for one that is not there).
    public func path(_ name: String) -> String { directory.appending(path: name).path }
}
