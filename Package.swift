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
        // Sockets only: HTTP/1.1 parser (pure) and a poll(2) listener on its own thread, plain or TLS.
        .target(name: "HTTPServer", dependencies: ["TLS"]),
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
                dependencies: ["Exposition", "HTTPServer", "TLS", "RunStatusModel", "VendorSimulator", "CZlib", "CCrypt", "CCurl"]),
        // Thin executable.
        .executableTarget(name: "runstatus-exporter", dependencies: ["RunStatusExporter"]),
        // `swift run -c release runstatus-bench`: poll, render and serve N simulated runs on loopback; prints figures.
        .executableTarget(name: "runstatus-bench",
                          dependencies: ["RunStatusExporter", "VendorSimulator", "HTTPServer", "Exposition", "RunStatusModel", "ChildProcesses"]),

        // posix_spawn'd children with a clean signal mask, for tests and the benchmark that drive real programs.
        .target(name: "ChildProcesses"),

        .testTarget(name: "ExpositionTests", dependencies: ["Exposition"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TLS", "ChildProcesses"]),
        .testTarget(name: "RunStatusModelTests", dependencies: ["RunStatusModel"]),
        .testTarget(name: "VendorSimulatorTests", dependencies: ["VendorSimulator", "HTTPServer"]),
        .testTarget(name: "RunStatusExporterTests",
                    dependencies: ["RunStatusExporter", "Exposition", "HTTPServer", "TLS", "RunStatusModel", "VendorSimulator",
                                   "runstatus-exporter", "ChildProcesses"]),
        // grafana/ proven on real programs: promtool, amtool, a live Prometheus against the demo exporter.
        .testTarget(name: "GrafanaTests", dependencies: ["runstatus-exporter", "ChildProcesses"]),
        // One fast smoke run of the benchmark binary (N=50, half a second of serving): it prints a clean row.
        // No timing is asserted.
        .testTarget(name: "BenchTests", dependencies: ["runstatus-bench"]),
    ],
    swiftLanguageModes: [.v6]
)
