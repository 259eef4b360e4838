import Testing
@testable import Exposition

@Suite struct ExpositionWriterTests {
    func text(_ format: ExpositionFormat = .text, _ build: (inout ExpositionWriter) -> Void) -> String {
        var w = ExpositionWriter(format: format)
        build(&w)
        return String(decoding: w.finish(), as: UTF8.self)
    }

    @Test func labelValuesAreEscaped() {
        let out = text { w in
            w.family("x", type: .gauge, help: "h")
            w.sample("x", LabelSet([("a", "back\\slash \"quoted\"\nnewline")]), value: 1)
        }
        #expect(out.contains(#"x{a="back\\slash \"quoted\"\nnewline"} 1"#))
    }

    @Test func helpEscapingDiffersByFormat() {
        let help = "say \"hi\" \\ then\nmore"
        let t = text(.text) { $0.family("x", type: .gauge, help: help) }
        let om = text(.openMetrics) { $0.family("x", type: .gauge, help: help) }
        #expect(t.hasPrefix(#"# HELP x say "hi" \\ then\nmore"# + "\n"))
        #expect(om.hasPrefix(#"# HELP x say \"hi\" \\ then\nmore"# + "\n"))
    }

    @Test(arguments: [
        (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"), (Double.nan, "NaN"),
        (1.0, "1"), (0.0, "0"), (-0.0, "0"), (-3.0, "-3"), (1.5, "1.5"), (0.25, "0.25"),
        (1_768_471_200.0, "1768471200"), (1_689_003_600.123456789, "1689003600.1234567"),
        (9_007_199_254_740_992.0, "9007199254740992"), (1e21, "1e+21"), (1e-5, "1e-05"),
    ])
    func valuesAreSpelledCanonically(value: Double, expected: String) {
        #expect(ExpositionWriter.formatValue(value) == expected)
    }

    @Test func integersRoundTripForEveryDigit() {
        for v: Int64 in [7, 10, 98_765, 1_234_567_890, -42, 9_007_199_254_740_991] {
            #expect(ExpositionWriter.formatValue(Double(v)) == String(v))
        }
    }

    @Test func countersAndInfoMetadataPerFormat() {
        let build: (inout ExpositionWriter) -> Void = { w in
            w.family("runs_total", type: .counter, help: "c")
            w.sample("runs_total", value: 3)
            w.family("build_info", type: .info, help: "i")
            w.sample("build_info", LabelSet([("version", "1")]), value: 1)
        }
        #expect(text(.text, build) == """
        # HELP runs_total c
        # TYPE runs_total counter
        runs_total 3
        # HELP build_info i
        # TYPE build_info gauge
        build_info{version="1"} 1

        """)
        #expect(text(.openMetrics, build) == """
        # HELP runs c
        # TYPE runs counter
        runs_total 3
        # HELP build i
        # TYPE build info
        build_info{version="1"} 1
        # EOF

        """)
    }

    @Test func histogramIsCumulativeWithInfBucket() {
        let out = text { w in
            w.family("lat_seconds", type: .histogram, help: "h")
            w.histogram("lat_seconds", LabelSet([("t", "a")]), buckets: [0.1, 1], cumulativeCounts: [1, 3], sum: 2.5, count: 4)
        }
        #expect(out == """
        # HELP lat_seconds h
        # TYPE lat_seconds histogram
        lat_seconds_bucket{t="a",le="0.1"} 1
        lat_seconds_bucket{t="a",le="1"} 3
        lat_seconds_bucket{t="a",le="+Inf"} 4
        lat_seconds_sum{t="a"} 2.5
        lat_seconds_count{t="a"} 4

        """)
    }

    @Test func valuesWithoutEscapesAreCopiedAsTheyAre() {
        // Small and heap strings, non-ASCII, and an escape only at the very end (the slow path).
        let long = String(repeating: "é✓-", count: 20)
        let out = text { w in
            w.sample("x", LabelSet([("a", "running"), ("b", long), ("c", "end\\")]), "d", "\"", value: 1)
        }
        #expect(out == "x{a=\"running\",b=\"\(long)\",c=\"end\\\\\",d=\"\\\"\"} 1\n")
    }

    @Test func bucketBoundsWithoutSharedLabels() {
        let out = text { w in
            w.histogram("h", LabelSet(), buckets: [0.005, 2.5e-7, 60], cumulativeCounts: [0, 1, 1], sum: 0, count: 1)
        }
        #expect(out.hasPrefix("h_bucket{le=\"0.005\"} 0\nh_bucket{le=\"2.5e-07\"} 1\nh_bucket{le=\"60\"} 1\n"
                              + "h_bucket{le=\"+Inf\"} 1\n"))
    }

    @Test func extraLabelJoinsSharedLabels() {
        let out = text { w in
            w.sample("s", LabelSet(), "state", "running", value: 1)
            w.sample("s", LabelSet([("vendor", "rsa")]), "state", "q\"", value: 0)
        }
        #expect(out == "s{state=\"running\"} 1\ns{vendor=\"rsa\",state=\"q\\\"\"} 0\n")
    }

    @Test(arguments: [("run_id", true), ("_x9", true), ("a0123456789", true), ("9a", false), ("a-b", false), ("", false), ("é", false)])
    func labelNames(name: String, valid: Bool) {
        #expect(MetricNaming.isValidLabelName(name) == valid)
    }

    @Test func metricNamesAllowColons() {
        #expect(MetricNaming.isValidMetricName("job:runs:rate5m"))
        #expect(!MetricNaming.isValidMetricName("1abc"))
    }
}
