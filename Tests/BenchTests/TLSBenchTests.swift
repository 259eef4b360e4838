import ChildProcesses
import Foundation
import TestSupport
import Testing
@testable import runstatus_bench

/// `--tls`: the binary run for real at a tiny size, and the target lines it prints. No rate or duration is judged
/// here: those are the benchmark's output.
struct TLSBenchTests {
    @Test(.timeLimit(.minutes(2)), .requires(.openssl))
    func measuresTLSNextToPlaintext() async throws {
        let bench = try #require(Program.bench.path, Comment(rawValue: Program.bench.missing))
        let (status, output) = try await BenchSmokeTests.run(bench, ["--runs=50", "--duration=0.5", "--clients=2",
                                                                     "--phases=cycle", "--tls", "--tls-idle-clients=20"])
        #expect(status == 0, "runstatus-bench exited with \(status):\n\(output)")
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("TLS at 50 runs") }, "no TLS line in:\n\(output)")
        #expect(line.contains("identity body") && line.contains("gzip as Prometheus asks") && line.contains("over TLS")
                && line.contains("plaintext") && line.contains("handshakes"), "\(line)")
        #expect(line.contains("20 of 20 idle TLS connections"), "\(line)")
        #expect(!output.contains("TLS: ⚠"), "the TLS load reported errors:\n\(output)")
        #expect(output.contains("TLS keep-alive scrapes ≥ 50% of plaintext (gzip, as Prometheus asks): "), "\(output)")
        #expect(output.contains("no target: TLS keep-alive / plaintext for the uncompressed body: "), "\(output)")
        // 20 idle clients are not the 1,000 the target is about.
        #expect(output.contains("not measured: RSS < 64 MB with 1,000 TLS connections (--tls-idle-clients below 1,000)"), "\(output)")
    }

    @Test func tlsTargetsAreJudgedOnlyWhenMeasured() {
        var r = BenchResult(runs: 100)
        r.tls = TLSFigures(skipped: "openssl is not on the PATH (it makes the throwaway certificate)")
        let skipped = TargetCheck.tlsLines([r])
        #expect(skipped.count == 2 && skipped.allSatisfy { $0.hasPrefix("not measured: ") && $0.contains("openssl") }, "\(skipped)")

        r.tls = TLSFigures(clients: 32, plaintextPerSecond: 10_000, tlsPerSecond: 4_000, gzipPlaintextPerSecond: 30_000,
                           gzipTLSPerSecond: 20_000, handshakesPerSecond: 500, idleClients: 1_000, idleConnected: 1_000,
                           peakIdleBytes: 50_000_000, peakResetWorked: true)
        let measured = TargetCheck.tlsLines([r])
        #expect(measured.contains("meets: TLS keep-alive scrapes ≥ 50% of plaintext (gzip, as Prometheus asks): 67 %"), "\(measured)")
        #expect(measured.contains("no target: TLS keep-alive / plaintext for the uncompressed body: 40 %"), "\(measured)")
        r.tls?.gzipTLSPerSecond = 12_000
        #expect(TargetCheck.tlsLines([r]).contains("MISSES: TLS keep-alive scrapes ≥ 50% of plaintext (gzip, as Prometheus asks): 40 %"))
        #expect(measured.contains("meets: RSS < 64 MB with 1,000 TLS connections: 50.0 MB"), "\(measured)")

        r.tls?.idleConnected = 998
        #expect(TargetCheck.tlsLines([r]).contains { $0.hasPrefix("not measured: RSS < 64 MB") && $0.contains("998 of 1000") })
        #expect(TargetCheck.tlsLines([BenchResult(runs: 100)]).isEmpty)
    }
}
