import CZlib
import Foundation

/// gzip (RFC 1952) through the system zlib, for scrapes whose `Accept-Encoding` allows it.
enum Gzip {
    /// Fastest level: metrics text shrinks ~10× even so, and a scrape should cost the exporter little CPU.
    static let level: Int32 = 1

    /// The gzip encoding of `input`; nil only if zlib fails (out of memory), and the caller then sends identity.
    static func compress(_ input: [UInt8]) -> [UInt8]? {
        var stream = z_stream()
        guard czlib_deflate_init_gzip(&stream, level) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        // Through a small chunk, not a deflateBound-sized buffer: a 13 MB exposition compresses to ~1.4 MB, and a
        // buffer sized (and zero-filled) for the worst case would add 13 MB of resident memory to every scrape.
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 8 + 1024)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let ok: Bool = input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = uInt(source.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { target -> (Int32, Int) in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    let status = deflate(&stream, Z_FINISH)
                    return (status, target.count - Int(stream.avail_out))
                }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_STREAM_END: return true
                case Z_OK, Z_BUF_ERROR: continue  // more output to come
                default: return false
                }
            }
        }
        return ok ? output : nil
    }

    /// The content of a gzip member, at most `maxBytes` of it; nil when the input is not valid gzip or is
    /// larger. For tests and tools that check what was served.
    static func decompress(_ input: [UInt8], maxBytes: Int = 256 << 20) -> [UInt8]? {
        var stream = z_stream()
        guard czlib_inflate_init_gzip(&stream) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        return input.withUnsafeBufferPointer { source -> [UInt8]? in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = uInt(source.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { target -> (Int32, Int) in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, target.count - Int(stream.avail_out))
                }
                output.append(contentsOf: chunk[0..<produced])
                if output.count > maxBytes { return nil }
                switch status {
                case Z_STREAM_END: return stream.avail_in == 0 ? output : nil
                case Z_OK: continue
                default: return nil  // Z_BUF_ERROR: truncated input; Z_DATA_ERROR: corrupt
                }
            }
        }
    }
}

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
