// swift-tools-version:6.0
// runstatus-exporter: no third-party packages, the toolchain only.
import PackageDescription

let package = Package(
    name: "runstatus-exporter",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "runstatus-exporter", targets: ["runstatus-exporter"]),
        .executable(name: "runstatus-bench", targets: ["runstatus-bench"]),
    ],
    targets: [
        // Pure: Prometheus text 0.0.4 / OpenMetrics encoder, bytes in, bytes out.
        .target(name: "Exposition"),
        // System OpenSSL (TLS on the listener, the healthcheck's client), typed wrappers for its macros and callbacks.
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // OpenSSL wrapped: a server context from PEM files or text, non-blocking sessions over a socket.
        .target(name: "TLS", dependencies: ["COpenSSL"]),
        // A pthread lock with a condition on the monotonic clock, for the listener's threads and the render cache.
        .target(name: "Threading"),
        // Sockets only: HTTP/1.1 parser (pure) and a poll(2) listener on its own thread, plain or TLS.
        .target(name: "HTTPServer", dependencies: ["TLS", "Threading"]),
        // Pure: normalized run model, JSON reader, time parsing, one adapter per vendor.
        .target(name: "RunStatusModel"),
        // Built-in simulator of the five vendor APIs, for --demo, tests and benchmarks.
        .target(name: "VendorSimulator", dependencies: ["HTTPServer", "Logging", "TLS"]),
        // System zlib (gzip-encoded scrapes) and libcrypt (bcrypt for basic auth), each through a tiny shim header.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCrypt", path: "Sources/CCrypt", providers: [.apt(["libcrypt-dev"])]),
        // System libcurl (the vendor fetcher), typed wrappers for its variadic setopt/getinfo in a shim header.
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // The runtime, one target per concern; dependencies point inward (README, "Layout").
        // Logger, log-line formats and the secret redactor: no dependencies.
        .target(name: "Logging"),
        // The config model, its loader and validation, credentials, durations, sharding.
        .target(name: "Configuration", dependencies: ["Logging", "RunStatusModel"]),
        // Runs, counters, the series budget and the listing/cap engine: what is known, not when to poll.
        .target(name: "RunStore", dependencies: ["Configuration", "Exposition", "RunStatusModel"]),
        // The poller: what is due, rate budgets, Retry-After backoff, concurrency, discovery, the `Fetcher` protocol.
        .target(name: "Polling", dependencies: ["Configuration", "Logging", "RunStatusModel", "RunStore"]),
        // The libcurl `Fetcher`.
        .target(name: "CurlTransport", dependencies: ["CCurl", "Polling", "RunStatusModel"]),
        // The HTTP surface: routes, content negotiation, render cache, renderer, web config (TLS included), gzip, bcrypt.
        .target(name: "Serving",
                dependencies: ["CCrypt", "CZlib", "Configuration", "Exposition", "HTTPServer", "Logging", "RunStatusModel",
                               "RunStore", "Threading", "TLS"]),
        // Composition: the command line, reload, signals, health check (plain or TLS). Knows every target above, none knows it.
        .target(name: "RunStatusExporter",
                dependencies: ["Configuration", "CurlTransport", "HTTPServer", "Logging", "Polling", "RunStatusModel",
                               "RunStore", "Serving", "TLS"]),
        // `--demo`: the simulator and a config that polls it; linked by the executable and the benchmark only.
        .target(name: "Demo", dependencies: ["Configuration", "HTTPServer", "RunStatusModel", "VendorSimulator"]),
        // Thin executable.
        .executableTarget(name: "runstatus-exporter", dependencies: ["Demo", "RunStatusExporter"]),
        // `swift run -c release runstatus-bench`: poll, render and serve N simulated runs on loopback; prints figures.
        .executableTarget(name: "runstatus-bench",
                          dependencies: ["ChildProcesses", "Configuration", "CurlTransport", "Demo", "Exposition", "HTTPServer",
                                         "Logging", "Polling", "RunStatusExporter", "RunStatusModel", "RunStore", "Serving",
                                         "TLS", "VendorSimulator"]),

        // posix_spawn'd children with a clean signal mask, for tests and the benchmark that drive real programs.
        .target(name: "ChildProcesses"),
        // For test targets only (never a product's dependency): loopback ports, temporary directories, the
        // programs tests run (built or on PATH, skipped loudly when absent), the manual clock, the seeded generator.
        .target(name: "TestSupport", dependencies: ["ChildProcesses", "Configuration", "Logging", "VendorSimulator"]),

        .testTarget(name: "ExpositionTests", dependencies: ["Exposition", "TestSupport"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TLS", "TestSupport"]),
        // The record buffer's C side driven directly, with socket pairs.
        .testTarget(name: "TLSTests", dependencies: ["TLS", "COpenSSL", "TestSupport"]),
        .testTarget(name: "RunStatusModelTests", dependencies: ["RunStatusModel", "TestSupport"]),
        .testTarget(name: "VendorSimulatorTests", dependencies: ["VendorSimulator", "HTTPServer", "TestSupport"]),
        // One per runtime target, beside its code; a test that crosses targets is in RunStatusExporterTests.
        .testTarget(name: "LoggingTests", dependencies: ["Logging", "TestSupport"]),
        .testTarget(name: "ConfigurationTests", dependencies: ["Configuration", "Logging", "RunStatusModel", "TestSupport"]),
        // The store is read as a scrape reads it, through the renderer.
        .testTarget(name: "RunStoreTests",
                    dependencies: ["Configuration", "Exposition", "RunStatusModel", "RunStore", "Serving", "TestSupport"]),
        .testTarget(name: "PollingTests",
                    dependencies: ["Configuration", "Logging", "Polling", "RunStatusModel", "RunStore", "TestSupport"]),
        // Serving for its gzip, to serve a compressed body.
        .testTarget(name: "CurlTransportTests",
                    dependencies: ["Configuration", "CurlTransport", "HTTPServer", "Polling", "RunStatusModel", "Serving", "TLS",
                                   "TestSupport"]),
        .testTarget(name: "ServingTests", dependencies: ["Configuration", "HTTPServer", "Serving", "TestSupport"]),
        // Across targets and through the real binary.
        .testTarget(name: "RunStatusExporterTests",
                    dependencies: ["ChildProcesses", "Configuration", "CurlTransport", "Demo", "Exposition", "HTTPServer",
                                   "Logging", "Polling", "RunStatusExporter", "RunStatusModel", "RunStore", "Serving",
                                   "TLS", "VendorSimulator", "runstatus-exporter", "TestSupport"]),
        // grafana/ proven on real programs: promtool, amtool, a live Prometheus against the demo exporter.
        .testTarget(name: "GrafanaTests", dependencies: ["runstatus-exporter", "ChildProcesses", "TestSupport"]),
        // One fast smoke run of the benchmark binary (N=50, half a second of serving): it prints a clean row.
        // No timing is asserted.
        .testTarget(name: "BenchTests", dependencies: ["runstatus-bench", "ChildProcesses", "TestSupport"]),
        // The shared spawner and test support themselves: input, exit statuses, process groups, skipping.
        .testTarget(name: "TestSupportTests", dependencies: ["ChildProcesses", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
