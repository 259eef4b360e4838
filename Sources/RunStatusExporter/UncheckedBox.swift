import Configuration
import CurlTransport
import Dispatch
import Foundation
import HTTPServer
import Logging
import Polling
import RunStatusModel
import RunStore
import Serving

/// Holds a non-Sendable value that is only touched from one place (Dispatch sources, kept alive and cancelled once).
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
