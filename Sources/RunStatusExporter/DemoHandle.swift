import Configuration

/// What `--demo` runs against, started by the executable (which links the simulator): the config that polls it,
/// its address for the log, and how to stop it.
public struct DemoHandle: Sendable {
    public var config: ExporterConfig
    public var baseURL: String
    public var stop: @Sendable () -> Void

    public init(config: ExporterConfig, baseURL: String, stop: @escaping @Sendable () -> Void) {
        self.config = config
        self.baseURL = baseURL
        self.stop = stop
    }

    /// `--demo` given to a program that did not pass a demo to `ExporterCommand.run`.
    struct Unavailable: Error, CustomStringConvertible {
        var description: String { "this build has no demo simulator" }
    }
}
