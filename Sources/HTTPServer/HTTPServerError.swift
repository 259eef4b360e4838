import Glibc

/// A failure to start or run the listener, naming the operation, the address and the system's reason,
/// e.g. `bind 127.0.0.1:9464: Address already in use`.
public struct HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// The errno value behind it, when there is one.
    public let errno: Int32?

    public init(message: String, errno: Int32? = nil) {
        self.message = message
        self.errno = errno
    }

    public var description: String { message }

    /// `operation subject: strerror(errno)`.
    static func system(_ operation: String, _ subject: String, errno code: Int32) -> HTTPServerError {
        HTTPServerError(message: "\(operation) \(subject): \(errnoText(code))", errno: code)
    }

    static func errnoText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
