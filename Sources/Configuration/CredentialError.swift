import Foundation
import Logging
import RunStatusModel

public struct CredentialError: Error, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
