/// Readiness (`/-/ready`): the exporter is ready once every target of the config in force has finished its first
/// cycle, made or held back. A value; the `Poller` marks the store ready when `cycleDone` says so.
struct Readiness: Sendable, Equatable {
    private(set) var pending: Set<String> = []

    /// A config comes in force before the exporter was ready: wait for these targets' first cycles.
    mutating func expectFirstCycles(of targets: some Sequence<String>) {
        pending = Set(targets)
    }

    /// A cycle of `target` ended. True exactly once: when this was the last first cycle awaited.
    mutating func cycleDone(_ target: String) -> Bool {
        guard pending.remove(target) != nil else { return false }
        return pending.isEmpty
    }
}
