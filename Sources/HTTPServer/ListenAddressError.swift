/// A `--web.listen-address` value that cannot be used, e.g. `listen address "abc": missing port`.
public struct ListenAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The value as given.
    public let input: String
    /// What is wrong with it.
    public let reason: String

    public init(input: String, reason: String) {
        self.input = input
        self.reason = reason
    }

    public var description: String { "listen address \"\(input)\": \(reason)" }
}
