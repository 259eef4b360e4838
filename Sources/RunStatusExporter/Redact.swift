import Foundation

/// Keeps credentials out of logs, labels and pages.
public enum Redact {
    /// The URL with any userinfo (`user:password@`) replaced by `xxxxx@`.
    public static func url(_ s: String) -> String {
        guard let schemeEnd = s.range(of: "://") else { return s }
        let rest = s[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return s }
        return String(s[..<schemeEnd.upperBound]) + "xxxxx" + String(rest[at...])
    }
}
