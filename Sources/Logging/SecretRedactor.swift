import Foundation
import Synchronization

/// Hides every secret the exporter knows, by value, in whatever framing a vendor might echo it: as is, JSON-escaped,
/// percent-encoded, HTML-escaped, or base64-encoded on its own or inside a longer base64 text (`user:password` of
/// basic auth). Matching ignores ASCII case, so `%2f` and `%2F` (or a vendor that upper-cases) are caught alike.
///
/// Secrets are registered whenever they are (re)read: config load, reload, each re-read of a rotated
/// `credentials_file`. Old values stay (an old token echoed late must still be hidden), bounded by `capacity`
/// distinct values, least recently registered dropped first; current values are registered again on every poll
/// cycle, so they are never the ones dropped.
///
/// Values shorter than `minimumLength` are not used: a one-letter secret would blank every log line. The config
/// refuses such secrets (see `Credentials.contentProblem`).
public final class SecretRedactor: Sendable {
    public static let minimumLength = 8
    public static let capacity = 256
    public static let replacement = "[redacted]"
    /// A secret cut short by a bounded message (ending in `…`) is still hidden when at least this much of it shows.
    static let truncatedMinimum = 4

    private let state = Mutex(State())

    private struct State {
        /// Oldest first, each with its framings (computed once: a value is registered again every poll cycle).
        var secrets: [(value: String, framings: [String])] = []
        var matcher = Matcher(needles: [])
    }

    public init() {}

    /// Remembers `secret` (and its framings); a value already known becomes the most recent one.
    public func register(_ secret: String) {
        guard secret.utf8.count >= Self.minimumLength else { return }
        state.withLock { s in
            if let i = s.secrets.lastIndex(where: { $0.value == secret }) {
                if i != s.secrets.count - 1 { s.secrets.append(s.secrets.remove(at: i)) }
                return
            }
            s.secrets.append((secret, Self.framings(secret)))
            if s.secrets.count > Self.capacity { s.secrets.removeFirst(s.secrets.count - Self.capacity) }
            s.matcher = Matcher(needles: s.secrets.flatMap(\.framings))
        }
    }

    public func register(_ secrets: some Sequence<String>) {
        for s in secrets { register(s) }
    }

    /// How many distinct secrets are known.
    public var count: Int { state.withLock { $0.secrets.count } }

    /// `text` with every known secret, in any framing, replaced by `[redacted]`.
    public func redact(_ text: String) -> String {
        let matcher = state.withLock { $0.matcher }
        guard !matcher.isEmpty else { return text }
        return matcher.redact(text)
    }

    /// Whether `text` holds a known secret in any framing.
    public func reveals(_ text: String) -> Bool {
        let matcher = state.withLock { $0.matcher }
        return !matcher.isEmpty && matcher.redact(text) != text
    }

    /// The forms a vendor could echo `secret` in; base64 forms are the part that stays the same wherever the
    /// secret sits in a longer encoded text.
    static func framings(_ secret: String) -> [String] {
        var out: Set<String> = [secret]
        out.insert(Logger.jsonEscape(secret))
        out.insert(jsonEscapeStrict(secret))
        out.insert(percentEncoded(secret, spaceAsPlus: false))
        out.insert(percentEncoded(secret, spaceAsPlus: true))
        out.insert(htmlEscaped(secret))
        for core in base64Cores(Array(secret.utf8)) where core.utf8.count >= minimumLength {
            out.insert(core)
            out.insert(core.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"))
        }
        return out.filter { $0.utf8.count >= minimumLength }.sorted()
    }

    /// JSON escaping as some encoders do it: `/` as `\/` and everything outside ASCII as `\uXXXX`.
    static func jsonEscapeStrict(_ s: String) -> String {
        var out = ""
        for unit in s.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x2F: out += "\\/"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default: out += String(format: "\\u%04x", unit)
            }
        }
        return out
    }

    static func percentEncoded(_ s: String, spaceAsPlus: Bool) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: " ") where spaceAsPlus: out += "+"
            default: out += String(format: "%%%02X", b)
            }
        }
        return out
    }

    static func htmlEscaped(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    /// For each of the three positions the secret can start at within base64's 3-byte groups, the characters that
    /// depend on the secret's bytes alone (the ones shared with the bytes before or the padding after are cut).
    static func base64Cores(_ bytes: [UInt8]) -> [String] {
        (0..<3).map { offset in
            let padded = [UInt8](repeating: 0, count: offset) + bytes
            var encoded = Data(padded).base64EncodedString()
            while encoded.hasSuffix("=") { encoded.removeLast() }
            let lead = [0, 2, 3][offset]
            let trail = padded.count % 3 == 0 ? 0 : 1
            guard encoded.count > lead + trail else { return "" }
            return String(encoded.dropFirst(lead).dropLast(trail))
        }
    }
}

/// The needles, lower-cased, bucketed by their first byte and longest first within a bucket: most positions of
/// a line are passed over with one lookup, the others try only the needles starting with that byte.
private struct Matcher: Sendable {
    let byFirst: [[[UInt8]]]
    let isEmpty: Bool

    init(needles: [String]) {
        var buckets = [[[UInt8]]](repeating: [], count: 256)
        for n in Set(needles.map { Array($0.utf8).map(Self.lower) }) where !n.isEmpty { buckets[Int(n[0])].append(n) }
        byFirst = buckets.map { $0.sorted { $0.count != $1.count ? $0.count > $1.count : $0.lexicographicallyPrecedes($1) } }
        isEmpty = needles.isEmpty
    }

    static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b + 0x20 : b }

    func redact(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var changed = false
        var i = 0
        let ellipsis: [UInt8] = [0xE2, 0x80, 0xA6]
        while i < bytes.count {
            let bucket = byFirst[Int(Self.lower(bytes[i]))]
            if !bucket.isEmpty, let length = match(bucket, bytes, at: i, ellipsis: ellipsis) {
                if !changed { out.reserveCapacity(bytes.count); out.append(contentsOf: bytes[..<i]); changed = true }
                out.append(contentsOf: SecretRedactor.replacement.utf8)
                i += length
                continue
            }
            if changed { out.append(bytes[i]) }
            i += 1
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }

    /// The length of the secret (or of its visible head, when a bound cut it and put `…` after it) at `i`.
    private func match(_ needles: [[UInt8]], _ b: [UInt8], at i: Int, ellipsis: [UInt8]) -> Int? {
        for n in needles {
            var k = 0
            while k < n.count, i + k < b.count, Self.lower(b[i + k]) == n[k] { k += 1 }
            if k == n.count { return k }
            if k >= SecretRedactor.truncatedMinimum, b[(i + k)...].starts(with: ellipsis) { return k }
        }
        return nil
    }
}
