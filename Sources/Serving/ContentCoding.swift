import CZlib
import Configuration
import Foundation
import Logging
import RunStatusModel
import RunStore

/// Which content coding an `Accept-Encoding` field allows (RFC 9110 §12.5.3), for the codings this server has.
enum ContentCoding: Equatable, Sendable {
    case identity, gzip

    /// gzip when the client ranks it (or `*`) above zero and no lower than an explicitly ranked identity;
    /// identity otherwise, also when the field is absent (which allows anything: identity is the safe reading).
    static func negotiate(acceptEncoding: String?) -> ContentCoding {
        guard let field = acceptEncoding else { return .identity }
        var gzip: Double?, identity: Double?, any: Double?
        for element in field.split(separator: ",") {
            let parts = element.split(separator: ";")
            guard let name = parts.first?.trimmingCharacters(in: .whitespaces).lowercased(), !name.isEmpty else { continue }
            var q = 1.0
            for parameter in parts.dropFirst() {
                let p = parameter.trimmingCharacters(in: .whitespaces).lowercased()
                if p.hasPrefix("q=") { q = Double(p.dropFirst(2)).map { min(max($0, 0), 1) } ?? 0 }
            }
            switch name {
            case "gzip", "x-gzip": gzip = max(gzip ?? 0, q)
            case "identity": identity = max(identity ?? 0, q)
            case "*": any = max(any ?? 0, q)
            default: break
            }
        }
        let gzipQ = gzip ?? any ?? 0
        // Listing gzip at all means wanting it; only identity ranked above it by name wins over it.
        return gzipQ > 0 && gzipQ >= (identity ?? 0) ? .gzip : .identity
    }
}
