import Configuration
import CurlTransport
import Dispatch
import Foundation
import Synchronization
import HTTPServer
import Logging
import Polling
import RunStatusModel
import RunStore
import Serving

/// Re-reads the config on SIGHUP or `POST /-/reload`; on error the old config stays and the reason is logged.
final class Reloader: Sendable {
    let path: String?
    let store: MetricsStore
    let poller: Poller
    let logger: Logger
    /// Told each config that took effect (the landing page shows it).
    let installed: @Sendable (ExporterConfig) -> Void
    /// One reload at a time: two would race to install their configs.
    private let lock = Mutex(())

    init(path: String?, store: MetricsStore, poller: Poller, logger: Logger,
         installed: @escaping @Sendable (ExporterConfig) -> Void) {
        self.path = path
        self.store = store
        self.poller = poller
        self.logger = logger
        self.installed = installed
    }

    func reload() -> Result<Void, ReloadError> {
        guard let path else { return .failure(ReloadError("no config file to reload")) }
        return lock.withLock { _ in reloadLocked(path) }
    }

    private func reloadLocked(_ path: String) -> Result<Void, ReloadError> {
        do {
            let config = try ConfigLoader(redactor: logger.redactor).load(path: path)
            store.apply(config)
            poller.start(config)
            installed(config)
            store.recordReload(success: true, at: Date().timeIntervalSince1970)
            logger.info("configuration reloaded", ["file": path, "targets": String(config.targets.count)])
            logger.warnAboutUnverifiedTargets(config)
            return .success(())
        } catch {
            store.recordReload(success: false, at: Date().timeIntervalSince1970)
            logger.error("configuration reload failed; keeping the previous one", ["file": path, "error": error.lines.joined(separator: "; ")])
            return .failure(ReloadError(logger.redactor.redact(error.description)))
        }
    }
}
