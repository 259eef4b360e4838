import ChildProcesses
import Foundation
import Glibc
import HTTPServer
import TLS

extension Measurement {
    /// The same routes behind a second listener speaking TLS, with a throwaway CA and certificate. Every load runs in a
    /// `--tls-load` child (plaintext too, so the two figures compare like with like), so the clients' handshakes
    /// and decryption are not this process's CPU or memory.
    func tlsServe(_ e: Exporter) async -> TLSFigures {
        var figures = TLSFigures()
        figures.clients = options.clients
        figures.idleClients = options.idleTLSClients
        guard let openssl = SearchPath.find("openssl") else {
            figures.skipped = "openssl is not on the PATH (it makes the throwaway certificate)"
            return figures
        }
        let directory = FileManager.default.temporaryDirectory.appending(path: "runstatus-bench-tls-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let context: TLSServerContext
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let (certificate, key) = try await Self.makeCertificate(openssl, in: directory)
            context = try TLSServerContext(settings: TLSServerSettings(certificate: .file(certificate), privateKey: .file(key)))
        } catch {
            figures.skipped = "cannot make the throwaway certificate: \(error)"
            return figures
        }
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.tls = context
        let routes = e.routes
        let server = HTTPServer(configuration: configuration, handler: { routes.handle($0) })
        let tlsPort: UInt16
        do { tlsPort = try server.start() } catch {
            figures.skipped = "cannot start the TLS listener: \(error)"
            return figures
        }

        for gzip in [false, true] {
            progress("TLS: \(options.clients) keep-alive clients, \(gzip ? "gzip" : "identity") body, plaintext and TLS in turn, "
                     + "\(Self.keepAliveRounds) rounds of \(options.duration / Double(Self.keepAliveRounds)) s each")
            var plain: [Double] = [], overTLS: [Double] = []
            for _ in 0..<Self.keepAliveRounds {
                let p = await load(.keepAlive, port: e.port, plaintext: true, gzip: gzip)
                figures.fail(p.firstError, count: p.errors)
                plain.append(p.perSecond)
                let t = await load(.keepAlive, port: tlsPort, plaintext: false, gzip: gzip)
                figures.fail(t.firstError, count: t.errors)
                overTLS.append(t.perSecond)
            }
            if gzip {
                (figures.gzipPlaintextPerSecond, figures.gzipTLSPerSecond) = (Self.median(plain), Self.median(overTLS))
            } else {
                (figures.plaintextPerSecond, figures.tlsPerSecond) = (Self.median(plain), Self.median(overTLS))
            }
        }

        progress("TLS: a new connection per request")
        let handshakes = await load(.handshake, port: tlsPort, plaintext: false)
        figures.handshakesPerSecond = handshakes.perSecond
        figures.fail(handshakes.firstError, count: handshakes.errors)

        progress("TLS: \(options.idleTLSClients) idle connections")
        ResourceUsage.trimHeap()
        figures.peakResetWorked = ResourceUsage.resetPeak()
        let (idle, peak, resident, trimmed) = await idleConnections(port: tlsPort)
        figures.trimmedIdleBytes = trimmed
        figures.idleConnected = idle.connected
        figures.peakIdleBytes = peak
        figures.residentIdleBytes = resident
        figures.fail(idle.firstError, count: idle.errors)
        await server.shutdown()
        return figures
    }

    /// Plaintext and TLS take turns this many times, each for a third of `--duration`, and the medians are compared:
    /// on two shared cores one run of each swings by a third from one minute to the next, more than the
    /// difference being measured.
    static let keepAliveRounds = 3

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    /// One `--tls-load` child to its end.
    private func load(_ kind: TLSLoadGenerator.Kind, port: UInt16, plaintext: Bool, gzip: Bool = false) async -> TLSLoadGenerator.Report {
        let seconds = kind == .keepAlive ? options.duration / Double(Self.keepAliveRounds) : options.duration
        var arguments = ["--tls-load=\(kind.rawValue)", "--port=\(port)", "--clients=\(options.clients)",
                         "--duration=\(seconds)"]
        if plaintext { arguments.append("--plaintext") }
        if gzip { arguments.append("--gzip") }
        let child: PipedProcess
        do { child = try PipedProcess.start(arguments: arguments) } catch {
            var report = TLSLoadGenerator.Report()
            report.fail("cannot start the load child: \(error)")
            return report
        }
        child.closeInput()
        let line = await OffThread.run { child.readLine() }
        _ = await OffThread.run { child.waitForExit() }
        return Self.report(line)
    }

    /// Opens the idle connections from a child, reads this process's peak RSS while they are open, lets them go.
    private func idleConnections(port: UInt16) async -> (TLSLoadGenerator.Report, peakBytes: Int, residentBytes: Int, trimmedBytes: Int) {
        let arguments = ["--tls-load=idle", "--port=\(port)", "--tls-idle-clients=\(options.idleTLSClients)",
                         "--duration=60"]
        let child: PipedProcess
        do { child = try PipedProcess.start(arguments: arguments) } catch {
            var report = TLSLoadGenerator.Report()
            report.fail("cannot start the load child: \(error)")
            return (report, 0, 0, 0)
        }
        let line = await OffThread.run { child.readLine() }
        // The listener has accepted and answered every handshake by the time the child has them all.
        try? await Task.sleep(for: .milliseconds(200))
        let memory = ResourceUsage.memory()
        // How much of it is the heap's free pages (the handshakes' buffers, freed) rather than the connections'.
        ResourceUsage.trimHeap()
        let trimmed = ResourceUsage.memory().resident
        child.closeInput()
        _ = await OffThread.run { child.waitForExit() }
        return (Self.report(line), memory.peak, memory.resident, trimmed)
    }

    private static func report(_ line: String?) -> TLSLoadGenerator.Report {
        guard let line, let report = try? JSONDecoder().decode(TLSLoadGenerator.Report.self, from: Data(line.utf8)) else {
            var report = TLSLoadGenerator.Report()
            report.fail("the load child printed no report")
            return report
        }
        return report
    }

    /// A CA and a server certificate for localhost and 127.0.0.1 signed by it (P-256, valid two days): the
    /// certificate and key files.
    static func makeCertificate(_ openssl: String, in directory: URL) async throws -> (String, String) {
        func path(_ name: String) -> String { directory.appending(path: name).path }
        func run(_ arguments: [String]) async throws {
            let (status, output) = try await SpawnedProcess.run(openssl, arguments)
            guard status == 0 else { throw BenchError("openssl \(arguments.first ?? "") exited \(status): \(output)") }
        }
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        try await run(["req", "-x509"] + key + ["-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "2",
                       "-subj", "/CN=runstatus-bench CA", "-addext", "basicConstraints=critical,CA:TRUE",
                       "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try await run(["req"] + key + ["-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=localhost"])
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: path("server.ext"), atomically: true, encoding: .utf8)
        try await run(["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                       "-set_serial", String(UInt32.random(in: 1...UInt32.max)), "-days", "2",
                       "-extfile", path("server.ext"), "-out", path("server.pem")])
        return (path("server.pem"), path("server.key"))
    }
}
