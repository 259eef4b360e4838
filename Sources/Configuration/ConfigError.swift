import Logging
import RunStatusModel

/// Everything wrong with a config file, one problem per line: `FILE: JSON.PATH: what is wrong`.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var problems: [Problem]

    public struct Problem: Sendable, Equatable {
        public var path: String
        public var message: String

        package init(path: String, message: String) {
            self.path = path
            self.message = message
        }
    }

    package init(file: String, problems: [Problem]) {
        self.file = file
        self.problems = problems
    }

    public var lines: [String] {
        problems.map { $0.path.isEmpty ? "\(file): \($0.message)" : "\(file): \($0.path): \($0.message)" }
    }

    public var description: String { lines.joined(separator: "\n") }
}
