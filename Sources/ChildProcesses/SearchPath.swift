import Foundation

/// Programs looked up by name on PATH, as a shell would, for children started by name (wrk, promtool, python3).
public enum SearchPath {
    /// The first of `names` found executable in a PATH directory, directories in order; nil if none is.
    public static func find(_ names: String...) -> String? { find(names) }

    public static func find(_ names: [String]) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            for name in names {
                let candidate = "\(directory)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }
}
