import Logging
import Synchronization

/// Collects log lines for assertions.
public final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    public var all: [String] { lines.withLock { $0 } }

    public var logger: Logger {
        Logger(level: .debug, format: .logfmt, sink: { [self] line in lines.withLock { $0.append(line) } })
    }
}
