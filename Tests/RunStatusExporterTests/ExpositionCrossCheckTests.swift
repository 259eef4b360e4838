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
    @Test func realOutputReadsTheSameInPrometheusClient() async throws {
        try await EndToEndTests.withExporter(EndToEndTests.scenario(), clockAt: EndToEndTests.t0 + 1000, mutate: { config in
            config.targets[0].runs[0].labels = [LabelPair("team", ExpositionCrossCheck.awkward), LabelPair("empty", "")]
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
                try ExpositionCrossCheck.compare(ours: ours.samples, theirs: theirs.samples, format: format)
                #expect(ExpositionCrossCheck.normalized(ours.families, openMetrics: isOpenMetrics) == theirs.families, "\(format) families")
                keys.append(Set(ours.samples.map(\.description).map { String($0[..<$0.lastIndex(of: " ")!]) }))
                // The awkward label came through both parsers intact.
                #expect(theirs.samples.contains { $0.labels["team"] == ExpositionCrossCheck.awkward && $0.name == "runstatus_run_info" },
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
}

/// gzip for scrapers that accept it, through the exporter.
@Suite struct GzipServingTests {
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
