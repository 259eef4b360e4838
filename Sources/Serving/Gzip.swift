import CZlib
import Configuration
import Foundation
import Logging
import RunStatusModel
import RunStore

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
        guard let (status, output) = pump(&stream, input, reserve: input.count / 8 + 1024, maxBytes: .max,
                                          { deflate(&$0, Z_FINISH) }),
              status == Z_STREAM_END else { return nil }
        return output
    }

    /// The content of a gzip member, at most `maxBytes` of it; nil when the input is not valid gzip or is
    /// larger. For tests and tools that check what was served.
    static func decompress(_ input: [UInt8], maxBytes: Int = 256 << 20) -> [UInt8]? {
        var stream = z_stream()
        guard czlib_inflate_init_gzip(&stream) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        guard let (status, output) = pump(&stream, input, reserve: input.count * 4, maxBytes: maxBytes,
                                          { inflate(&$0, Z_NO_FLUSH) }) else { return nil }
        // Anything but the end of the member with no input left over (Z_BUF_ERROR: truncated; Z_DATA_ERROR: corrupt).
        return status == Z_STREAM_END && stream.avail_in == 0 ? output : nil
    }
}

extension Gzip {
    /// Feeds `input` through `step` (deflate or inflate) into 64 KB chunks until it stops making progress; returns
    /// the last status and the output, or nil past `maxBytes`.
    private static func pump(_ stream: inout z_stream, _ input: [UInt8], reserve: Int, maxBytes: Int,
                             _ step: (inout z_stream) -> Int32) -> (Int32, [UInt8])? {
        var output: [UInt8] = []
        output.reserveCapacity(min(reserve, maxBytes))
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        return input.withUnsafeBufferPointer { source -> (Int32, [UInt8])? in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = uInt(source.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { target -> (Int32, Int) in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    let status = step(&stream)
                    return (status, target.count - Int(stream.avail_out))
                }
                output.append(contentsOf: chunk[0..<produced])
                if output.count > maxBytes { return nil }
                // Z_OK: progress, more to come. Anything else (end, error, no progress possible) ends the pump.
                if status != Z_OK { return (status, output) }
            }
        }
    }
}
