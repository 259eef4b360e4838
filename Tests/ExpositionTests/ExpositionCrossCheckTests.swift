import Exposition
import TestSupport
import Testing

/// The writer's escaping and special values, read by an independent parser (Python's prometheus_client, the
/// reference client library) and by our own strict reader, compared series by series.
@Suite(.requiresPython(importing: "prometheus_client.parser", "prometheus_client.openmetrics.parser",
                       hint: "pip install prometheus_client; .ci/run does it"))
struct ExpositionCrossCheckTests {
    @Test func escapingAndSpecialValuesReadTheSameInPrometheusClient() async throws {
        for format in [ExpositionFormat.text, .openMetrics] {
            var w = ExpositionWriter(format: format)
            let labels = LabelSet([("path", ExpositionCrossCheck.awkward), ("empty", "")])
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
            try ExpositionCrossCheck.compare(ours: ours.samples, theirs: theirs.samples, format: "\(format)")
            #expect(ExpositionCrossCheck.normalized(ours.families, openMetrics: isOpenMetrics) == theirs.families, "\(format)")
            #expect(theirs.families.first?.help == "Events with \\ backslash, \"quotes\"\nand a new line.")
            #expect(ours.samples.count == 15)
        }
    }
}
