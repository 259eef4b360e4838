import Configuration
import Glibc
import Serving
import TLS

extension HealthCheck {
    /// The probe over TLS, configured from the exporter's own web config.
    ///
    /// It does not verify the listener's certificate: it dials its own loopback listener and sends no secret, and
    /// that certificate names the hosts scrapers use, not `127.0.0.1`. When the listener requires client
    /// certificates (`RequireAnyClientCert`, `RequireAndVerifyClientCert`), the probe presents the server's own
    /// certificate and key, which the web config names: if the client CA trusts them the answer is the usual
    /// 200 (or basic auth's 401); if not, the listener refuses the handshake with a TLS alert, and that counts as
    /// alive too, as the 401 does: a listener that answers the TLS handshake with the configured certificate and
    /// then refuses the probe's certificate by an alert is up. No client key ever needs to be made for the probe.
    struct TLSProbe {
        let context: TLSClientContext
        let presentsCertificate: Bool

        enum Outcome {
            case answered(String)
            /// The listener refused the probe's certificate with a TLS alert.
            case refusedOurCertificate
            case failed(ProbeError)
        }

        /// nil when the web config has no TLS.
        init?(webConfig: WebConfig) throws(ConfigError) {
            guard let settings = webConfig.tlsServer else { return nil }
            presentsCertificate = settings.clientAuth.requiresCertificate
            do {
                context = presentsCertificate
                    ? try TLSClientContext(certificate: settings.certificate, privateKey: settings.privateKey)
                    : try TLSClientContext()
            } catch {
                throw ConfigError(file: "healthcheck", problems: [.init(path: error.key.map { "tls_server_config.\($0)" } ?? "",
                                                                        message: error.message)])
            }
        }

        func get(host: String, port: UInt16, request: [UInt8]) -> Outcome {
            let fd: Int32
            switch HealthCheck.connected(host: host, port: port) {
            case .success(let socket): fd = socket
            case .failure(let error): return .failed(error)
            }
            defer { close(fd) }
            let session: TLSSession
            do {
                session = try context.session(fd: fd, serverName: nil)
            } catch {
                return .failed(ProbeError(description: error.description))
            }
            // The socket blocks (with deadlines): each call either completes or fails; wantRead/wantWrite mean the
            // deadline passed.
            if case let failure? = outcome(of: session.handshake()) { return failure }
            var sent = 0
            while sent < request.count {
                let progress = request.withUnsafeBytes { session.write(UnsafeRawBufferPointer(rebasing: $0[sent...])) }
                if case .done(let count) = progress { sent += count; continue }
                return outcome(of: progress) ?? .failed(ProbeError(description: "write failed"))
            }
            var received: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while received.count < 16 * 1024 {
                let progress = chunk.withUnsafeMutableBytes { session.read(into: $0) }
                guard case .done(let count) = progress else {
                    if case .closed = progress { break }
                    return outcome(of: progress) ?? .failed(ProbeError(description: "read failed"))
                }
                received.append(contentsOf: chunk[0..<count])
                if let text = String(bytes: received, encoding: .utf8), let end = text.range(of: "\r\n\r\n") {
                    return .answered(String(text[..<end.lowerBound]))
                }
            }
            return received.isEmpty ? .failed(ProbeError(description: "no answer within \(HealthCheck.timeoutSeconds) s"))
                                     : .answered(String(decoding: received, as: UTF8.self))
        }

        /// nil when `progress` is a success.
        private func outcome(of progress: TLSSession.Progress) -> Outcome? {
            switch progress {
            case .done: return nil
            case .wantRead, .wantWrite:
                return .failed(ProbeError(description: "no TLS answer within \(HealthCheck.timeoutSeconds) s"))
            case .closed:
                return .failed(ProbeError(description: "connection closed during the TLS handshake"))
            case .failed(let reason):
                // OpenSSL names a received alert "... alert <description>".
                if presentsCertificate && reason.contains(" alert ") { return .refusedOurCertificate }
                return .failed(ProbeError(description: "TLS: \(reason)"))
            }
        }
    }
}
