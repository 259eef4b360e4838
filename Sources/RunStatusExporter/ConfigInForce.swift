import Configuration
import Synchronization

/// The configuration in force: the reloader sets it, the landing page reads it.
final class ConfigInForce: Sendable {
    private let config: Mutex<ExporterConfig>
    init(_ config: ExporterConfig) { self.config = Mutex(config) }
    var value: ExporterConfig { config.withLock { $0 } }
    func set(_ new: ExporterConfig) { config.withLock { $0 = new } }
}
