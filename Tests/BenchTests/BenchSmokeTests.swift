import ChildProcesses
import Foundation
import TestSupport
import Testing

/// The benchmark binary, run for real at a tiny size: it must measure every phase and print its row.
/// Nothing here looks at a duration or a rate: those are the benchmark's output, not pass/fail criteria.
struct BenchSmokeTests {
    @Test(.timeLimit(.minutes(2)))
    func printsOneCleanRowForFiftyRuns() async throws {
        let bench = try #require(Program.bench.path, Comment(rawValue: Program.bench.missing))
        let (status, output) = try await Self.run(bench, ["--runs=50", "--duration=0.5", "--render-samples=2", "--clients=2"])
        #expect(status == 0, "runstatus-bench exited with \(status):\n\(output)")

        let lines = output.split(separator: "\n").map(String.init)
        let header = try #require(lines.first { $0.hasPrefix("| runs |") }, "no table header in:\n\(output)")
        let rows = lines.filter { $0.hasPrefix("| 50") }
        try #require(rows.count == 1, "expected one row for 50 runs in:\n\(output)")
        let cells = Self.cells(rows[0])
        #expect(cells.count == Self.cells(header).count, "row and header differ in columns: \(rows[0])")
        // No vendor request failed, no poll error, no serve error (the row would carry a ⚠).
        #expect(cells[0] == "50", "the row flags a problem: \(rows[0])\n\(output)")
        // Every run was polled and rendered: 50 runs give well over 50 series and a body of kilobytes.
        let series = try #require(Int(cells[1].replacingOccurrences(of: ",", with: "")), "series cell: \(cells[1])")
        #expect(series > 50 * 7)
        #expect(cells[2].hasSuffix("KB"), "body size cell: \(cells[2])")
        #expect(output.contains("Machine: "))
    }

    @Test func rejectsAnUnknownFlag() async throws {
        let bench = try #require(Program.bench.path, Comment(rawValue: Program.bench.missing))
        let (status, output) = try await Self.run(bench, ["--frobnicate"])
        #expect(status == 2)
        #expect(output.contains("unknown flag --frobnicate"))
    }

    static func cells(_ row: String) -> [String] {
        row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Runs the binary to its end: exit status and stdout plus stderr.
    static func run(_ executable: String, _ arguments: [String]) async throws -> (Int32, String) {
        try await SpawnedProcess.run(executable, arguments, timeout: .seconds(110))
    }
}
