import Foundation

/// Keeps credentials out of logs, labels and pages.
public enum Redact {
    /// The URL with any userinfo (`user:password@`) replaced by `xxxxx@`.
    ///
    /// Errs on the side of hiding: a password holding a raw `/`, `?` or `#` (which should have been
    /// percent-encoded) ends the authority early for a URL parser, so any `@` before the fragment counts when
    /// a `:` precedes it, and everything from the scheme to that `@` is hidden.
    public static func url(_ s: String) -> String {
        guard let schemeEnd = s.range(of: "://") else { return s }
        let rest = s[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@") {
            return String(s[..<schemeEnd.upperBound]) + "xxxxx" + String(rest[at...])
        }
        let beforeFragment = rest[..<(rest.firstIndex(of: "#") ?? rest.endIndex)]
        if let at = beforeFragment.lastIndex(of: "@"), rest[..<at].contains(":") {
            return String(s[..<schemeEnd.upperBound]) + "xxxxx" + String(rest[at...])
        }
        return s
    }
}
