import Synchronization

/// The web config's reloads, for `/metrics`: written by the watcher, read by scrapes, no lock.
public final class WebConfigReloads: Sendable {
    private let successes = Atomic<UInt64>(0)
    private let failures = Atomic<UInt64>(0)
    private let lastFailed = Atomic<Bool>(false)

    public init() {}

    public func record(success: Bool) {
        if success { successes.add(1, ordering: .relaxed) } else { failures.add(1, ordering: .relaxed) }
        lastFailed.store(!success, ordering: .relaxed)
    }

    public var successCount: UInt64 { successes.load(ordering: .relaxed) }
    public var failureCount: UInt64 { failures.load(ordering: .relaxed) }
    /// True at start (the exporter does not start on a broken web config) and after each good change.
    public var lastSuccessful: Bool { !lastFailed.load(ordering: .relaxed) }
    /// Grows with every reload: keys the render cache, so a scrape never shows counts older than a reload.
    var changes: UInt64 { successCount &+ failureCount }
}
