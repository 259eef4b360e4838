import Configuration
import Logging

extension Logger {
    /// One warning per target whose vendor certificate is not checked, each time a config takes effect (at start
    /// and on every reload), so that turning `insecure_skip_verify` on is never silent.
    func warnAboutUnverifiedTargets(_ config: ExporterConfig) {
        for t in config.targets where t.client.tls.insecureSkipVerify {
            warn("tls_config.insecure_skip_verify is set: the vendor's certificate is not verified, so anyone on the path can read and change the answers",
                 ["target": t.name])
        }
    }
}
