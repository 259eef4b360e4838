import Configuration
import CurlTransport
import Logging
import Polling
import RunStatusModel
import RunStore
import Serving

public struct UsageError: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
