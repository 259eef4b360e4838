import Synchronization

/// A clock the test moves by hand, handed to the simulator, the poller and the routes as their `now`, so times
/// and durations come out exact and nothing waits on the real clock.
public final class ManualClock: Sendable {
    private let value: Mutex<Double>

    public init(_ start: Double) { value = Mutex(start) }

    /// Seconds since the epoch, as the code under test reads them.
    public var now: Double { value.withLock { $0 } }

    public func set(_ t: Double) { value.withLock { $0 = t } }

    public func advance(by seconds: Double) { value.withLock { $0 += seconds } }

    /// The clock as the `@Sendable () -> Double` the code under test takes.
    public var closure: @Sendable () -> Double { { [self] in now } }
}
