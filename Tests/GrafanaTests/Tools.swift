import Foundation

/// The Prometheus programs the tests run, looked up on PATH (Debian: `apt-get install prometheus
/// prometheus-alertmanager`). A test that needs one is disabled, with the reason shown, when it is missing.
enum Tools {
    static let promtool = find("promtool")
    static let amtool = find("amtool")
    static let prometheus = find("prometheus")
    /// Debian names the server prometheus-alertmanager; upstream tarballs name it alertmanager.
    static let alertmanager = find("prometheus-alertmanager", "alertmanager")

    static let installHint = "apt-get install prometheus prometheus-alertmanager"

    static func find(_ names: String...) -> String? {
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
