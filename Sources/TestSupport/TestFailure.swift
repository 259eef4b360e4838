/// Why a test helper gave up: the call that failed and what it saw.
public struct TestFailure: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
