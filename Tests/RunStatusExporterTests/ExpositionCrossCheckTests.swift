import Exposition
import Foundation
import HTTPServer
import TestSupport
import Testing
import VendorSimulator
@testable import Configuration
@testable import CurlTransport
@testable import Logging
@testable import Polling
@testable import RunStatusExporter
@testable import RunStore
@testable import Serving

/// Both exposition formats of real exporter output, read by an independent parser (Python's prometheus_client,
/// the reference client library) and by our own strict reader, compared series by series.
@Suite(.requiresPython(importing: "prometheus_client.parser", "prometheus_client.openmetrics.parser",
                       hint: "pip install prometheus_client; .ci/run does it"))
struct ExpositionCrossCheckTests {
    /// Label values that need every escape, and text outside ASCII.
    static let awkward = "a \"quoted\" back\\slash\nnew line, ünïcödé ✓"

    @Test func realOutputReadsTheSameInPrometheusClient() async throws {
        try await EndToEndTests.withExporter(EndToEndTests.scenario(), clockAt: EndToEndTests.t0 + 1000, mutate: { config in
            config.targets[0].runs[0].labels = [LabelPair("team", Self.awkward), LabelPair("empty", "")]
        }) { r in
            let port = try #require(URL(string: r.base)?.port).map { UInt16($0) }!
            _ = try await TestClient.request(port: port, "/nope")  // a 404 series for runstatus_http_requests_total
            _ = try await TestClient.request(port: port, "/metrics")  // and the /metrics series, in both scrapes below
            let text = try await TestClient.request(port: port, "/metrics")
            let openMetrics = try await TestClient.request(port: port, "/metrics", headers: [
                ("Accept", "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
                    + "application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"),
            ])
            #expect(text.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            #expect(openMetrics.header("Content-Type") == "application/openmetrics-text; version=1.0.0; charset=utf-8")

            var keys: [Set<String>] = []
            for (response, isOpenMetrics) in [(text, false), (openMetrics, true)] {
                let ours = try parseExpositionStrictly(response.text, openMetrics: isOpenMetrics)
                let theirs = try await parseWithPrometheusClient(response.text, openMetrics: isOpenMetrics)
                let format = isOpenMetrics ? "OpenMetrics" : "text 0.0.4"
                try Self.compare(ours: ours.samples, theirs: theirs.samples, format: format)
                #expect(Self.normalized(ours.families, openMetrics: isOpenMetrics) == theirs.families, "\(format) families")
                keys.append(Set(ours.samples.map(\.description).map { String($0[..<$0.lastIndex(of: " ")!]) }))
                // The awkward label came through both parsers intact.
                #expect(theirs.samples.contains { $0.labels["team"] == Self.awkward && $0.name == "runstatus_run_info" },
                        "\(format)")
            }
            // Same series in both formats (values of process metrics move between the two scrapes). The exporter's
            // own request counters are left out: a scrape served from the render cache shows them as of its render.
            let differ = keys[0].symmetricDifference(keys[1]).filter { !$0.hasPrefix("runstatus_http_requests_total") }
            #expect(differ.isEmpty, "\(differ.sorted())")
            // OpenMetrics metadata: counters without _total, info without _info.
            #expect(openMetrics.text.contains("# TYPE runstatus_polls counter\n"))
            #expect(openMetrics.text.contains("# TYPE runstatus_run info\n"))
            #expect(openMetrics.text.hasSuffix("# EOF\n"))
            #expect(text.text.contains("# TYPE runstatus_polls_total counter\n"))
            #expect(!text.text.contains("# EOF"))
        }
    }

    @Test func escapingAndSpecialValuesReadTheSameInPrometheusClient() async throws {
        for format in [ExpositionFormat.text, .openMetrics] {
            var w = ExpositionWriter(format: format)
            let labels = LabelSet([("path", Self.awkward), ("empty", "")])
            w.family("demo_events_total", type: .counter, help: "Events with \\ backslash, \"quotes\"\nand a new line.")
            w.sample("demo_events_total", labels, value: 3)
            w.family("demo_temperature_celsius", type: .gauge, help: "Gauge with odd values.")
            w.sample("demo_temperature_celsius", LabelSet([("at", "nan")]), value: .nan)
            w.sample("demo_temperature_celsius", LabelSet([("at", "+inf")]), value: .infinity)
            w.sample("demo_temperature_celsius", LabelSet([("at", "-inf")]), value: -.infinity)
            w.sample("demo_temperature_celsius", LabelSet([("at", "small")]), value: 1.5e-7)
            w.sample("demo_temperature_celsius", LabelSet([("at", "big")]), value: 1.2345678901234567e19)
            w.family("demo_build_info", type: .info, help: "Info.")
            w.sample("demo_build_info", LabelSet([("version", "1.0")]), value: 1)
            w.family("demo_latency_seconds", type: .histogram, help: "Histogram.")
            w.histogram("demo_latency_seconds", labels, buckets: [0.005, 0.1, 1, 2.5, 10], cumulativeCounts: [0, 1, 1, 2, 4],
                        sum: 17.25, count: 5)
            let body = String(decoding: w.finish(), as: UTF8.self)
            let isOpenMetrics = format == .openMetrics
            let ours = try parseExpositionStrictly(body, openMetrics: isOpenMetrics)
            let theirs = try await parseWithPrometheusClient(body, openMetrics: isOpenMetrics)
            try Self.compare(ours: ours.samples, theirs: theirs.samples, format: "\(format)")
            #expect(Self.normalized(ours.families, openMetrics: isOpenMetrics) == theirs.families, "\(format)")
            #expect(theirs.families.first?.help == "Events with \\ backslash, \"quotes\"\nand a new line.")
            #expect(ours.samples.count == 15)
        }
    }

    /// prometheus_client names counter families without `_total` in both formats, and info families without
    /// `_info` in OpenMetrics (where our metadata already says so); text 0.0.4 has no info type.
    static func normalized(_ families: [ParsedFamily], openMetrics: Bool) -> [ParsedFamily] {
        families.map { family in
            var f = family
            if !openMetrics && f.type == "counter" && f.name.hasSuffix("_total") { f.name.removeLast(6) }
            return f
        }
    }

    static func compare(ours: [ParsedSample], theirs: [ParsedSample], format: String) throws {
        #expect(ours.count == theirs.count, "\(format): \(ours.count) samples read by us, \(theirs.count) by prometheus_client")
        #expect(Set(ours).count == ours.count, "\(format): a series appears twice")
        for (index, (a, b)) in zip(ours, theirs).enumerated() {
            #expect(a == b, "\(format) sample \(index): ours \(a), prometheus_client \(b)")
        }
    }
}

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

    @Test func servesGzipToScrapersThatAcceptIt() async throws {
        try await EndToEndTests.withExporter(EndToEndTests.scenario(), clockAt: EndToEndTests.t0 + 1000) { r in
            let port = try #require(URL(string: r.base)?.port).map { UInt16($0) }!
            let zipped = try await TestClient.request(port: port, "/metrics", headers: [("Accept-Encoding", "gzip")])
            #expect(zipped.header("Content-Encoding") == "gzip")
            #expect(zipped.header("Vary") == "Accept-Encoding")
            #expect(zipped.header("Content-Length") == String(zipped.body.count))
            let unzipped = String(decoding: try #require(Gzip.decompress(zipped.body)), as: UTF8.self)
            let plain = try await TestClient.request(port: port, "/metrics", headers: [("Accept-Encoding", "gzip;q=0, identity")])
            #expect(plain.header("Content-Encoding") == nil)
            #expect(plain.header("Vary") == "Accept-Encoding")
            let series = { (text: String) throws in Set(try parseExpositionStrictly(text, openMetrics: false).samples.map(\.name)) }
            #expect(try series(unzipped) == series(plain.text))
            #expect(zipped.body.count < plain.body.count / 3)
            // HEAD announces what GET would send.
            let head = try await TestClient.request(port: port, "/metrics", method: "HEAD", headers: [("Accept-Encoding", "gzip")])
            #expect(head.header("Content-Encoding") == "gzip" && head.body.isEmpty)
            // OpenMetrics compresses too, and only /metrics does.
            let om = try await TestClient.request(port: port, "/metrics", headers: [
                ("Accept", "application/openmetrics-text; version=1.0.0"), ("Accept-Encoding", "gzip")])
            #expect(String(decoding: Gzip.decompress(om.body) ?? [], as: UTF8.self).hasSuffix("# EOF\n"))
            let landing = try await TestClient.request(port: port, "/", headers: [("Accept-Encoding", "gzip")])
            #expect(landing.header("Content-Encoding") == nil && landing.status == 200)
        }
    }
}
