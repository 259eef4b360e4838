import Foundation

/// A fresh directory under the system's temporary directory, for configs, secrets and children's logs; removed
/// by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let url: URL

    /// - Parameter prefix: starts the directory's name, to tell whose it is when one is left behind.
    public init(prefix: String = "runstatus-tests") throws {
        url = FileManager.default.temporaryDirectory.appending(path: "\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the directory.
    public func file(_ name: String) -> String { url.appending(path: name).path }

    public func write(_ name: String, _ text: String) throws {
        try text.write(toFile: file(name), atomically: true, encoding: .utf8)
    }

    public func remove() { try? FileManager.default.removeItem(at: url) }
}
