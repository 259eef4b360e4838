import Foundation
import Testing

/// The benchmark binary, run for real at a tiny size: it must measure every phase and print its row.
/// Nothing here looks at a duration or a rate: those are the benchmark's output, not pass/fail criteria.
struct BenchSmokeTests {
    @Test(.timeLimit(.minutes(2)))
    func printsOneCleanRowForFiftyRuns() async throws {
        let bench = try #require(Self.benchExecutable(),
                                 "runstatus-bench not found next to the test binary (\(CommandLine.arguments[0]))")
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
        let bench = try #require(Self.benchExecutable())
        let (status, output) = try await Self.run(bench, ["--frobnicate"])
        #expect(status == 2)
        #expect(output.contains("unknown flag --frobnicate"))
    }

    static func cells(_ row: String) -> [String] {
        row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `RUNSTATUS_BENCH_BIN` if set, else the runstatus-bench SwiftPM built beside this test binary.
    static func benchExecutable() -> String? {
        if let path = ProcessInfo.processInfo.environment["RUNSTATUS_BENCH_BIN"] { return path }
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for directory in [testBinary, Bundle.main.bundleURL.deletingLastPathComponent()] {
            let path = directory.appending(path: "runstatus-bench").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Runs the binary to its end: exit status and stdout plus stderr. Output goes to a file, not a pipe
    /// nobody drains; the exit is awaited through the termination handler, never by blocking a thread.
    static func run(_ executable: String, _ arguments: [String]) async throws -> (Int32, String) {
        let log = FileManager.default.temporaryDirectory.appending(path: "runstatus-bench-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)  // FileHandle below throws if it failed
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        return (status, try String(contentsOf: log, encoding: .utf8))
    }
}
