import Testing
@testable import Serving

/// gzip for scrapers that accept it, with q-values respected.
@Suite struct GzipTests {
    @Test func negotiatesTheContentCoding() {
        let cases: [(String?, ContentCoding)] = [
            (nil, .identity), ("", .identity), ("gzip", .gzip), ("GZIP", .gzip), ("x-gzip", .gzip),
            ("deflate, gzip, br, zstd", .gzip), ("gzip;q=0", .identity), ("gzip; q=0.0", .identity),
            ("*", .gzip), ("*;q=0", .identity), ("br;q=1, *;q=0.1", .gzip), ("gzip;q=0, *", .identity),
            ("identity", .identity), ("gzip;q=0.5, identity;q=1", .identity), ("gzip;q=0.5", .gzip),
            ("gzip;q=1, identity;q=0.5", .gzip), ("gzip;q=bogus", .identity), ("br", .identity),
        ]
        for (field, expected) in cases {
            #expect(ContentCoding.negotiate(acceptEncoding: field) == expected, "\(field ?? "(absent)")")
        }
    }

    @Test func compressesAndRoundTrips() throws {
        let text = Array(String(repeating: "runstatus_up{target=\"a\"} 1\n", count: 2000).utf8)
        let compressed = try #require(Gzip.compress(text))
        #expect(compressed.prefix(2) == [0x1F, 0x8B])
        #expect(compressed.count < text.count / 10)
        #expect(Gzip.decompress(compressed) == text)
        #expect(Gzip.compress([]).flatMap { Gzip.decompress($0) } == [])
        #expect(Gzip.decompress(Array(compressed.dropLast(4))) == nil)
        #expect(Gzip.decompress(Array("not gzip".utf8)) == nil)
    }
}
