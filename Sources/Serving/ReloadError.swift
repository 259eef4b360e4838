import Configuration
import Exposition
import Foundation
import HTTPServer
import Logging
import RunStatusModel
import RunStore
import Synchronization

public struct ReloadError: Error, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
