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
        // Sockets only: HTTP/1.1 parser (pure) and a poll(2) listener on its own thread.
        .target(name: "HTTPServer"),
        // Pure: normalized run model, JSON reader, time parsing, one adapter per vendor.
        .target(name: "RunStatusModel"),
        // Built-in simulator of the five vendor APIs, for --demo, tests and benchmarks.
        .target(name: "VendorSimulator", dependencies: ["HTTPServer"]),
        // System zlib (gzip-encoded scrapes) and libcrypt (bcrypt for basic auth), each through a tiny shim header.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCrypt", path: "Sources/CCrypt", providers: [.apt(["libcrypt-dev"])]),
        // System libcurl (the vendor fetcher), typed wrappers for its variadic setopt/getinfo in a shim header.
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // Runtime: config, poller, libcurl fetcher, metrics store, routes, CLI.
        .target(name: "RunStatusExporter",
                dependencies: ["Exposition", "HTTPServer", "RunStatusModel", "VendorSimulator", "CZlib", "CCrypt", "CCurl"]),
        // Thin executable.
        .executableTarget(name: "runstatus-exporter", dependencies: ["RunStatusExporter"]),
        // `swift run -c release runstatus-bench`: poll, render and serve N simulated runs on loopback; prints figures.
        .executableTarget(name: "runstatus-bench",
                          dependencies: ["RunStatusExporter", "VendorSimulator", "HTTPServer", "Exposition", "RunStatusModel", "ChildProcesses"]),

        // posix_spawn'd children with a clean signal mask, for tests and the benchmark that drive real programs.
        .target(name: "ChildProcesses"),
        // For test targets only (never a product's dependency): loopback ports, temporary directories, the
        // programs tests run (built or on PATH, skipped loudly when absent), the manual clock, the seeded generator.
        .target(name: "TestSupport", dependencies: ["ChildProcesses", "VendorSimulator"]),

        .testTarget(name: "ExpositionTests", dependencies: ["Exposition", "TestSupport"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TestSupport"]),
        .testTarget(name: "RunStatusModelTests", dependencies: ["RunStatusModel", "TestSupport"]),
        .testTarget(name: "VendorSimulatorTests", dependencies: ["VendorSimulator", "HTTPServer", "TestSupport"]),
        .testTarget(name: "RunStatusExporterTests",
                    dependencies: ["RunStatusExporter", "Exposition", "HTTPServer", "RunStatusModel", "VendorSimulator",
                                   "runstatus-exporter", "ChildProcesses", "TestSupport"]),
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
