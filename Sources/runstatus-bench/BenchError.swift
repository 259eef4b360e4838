import ChildProcesses

/// Why the benchmark stopped: printed as is, exit status 2.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension PipedProcess {
    /// Starts a child (this binary when `executable` is nil), its failure as the benchmark's error.
    static func start(executable: String? = nil, arguments: [String]) throws(BenchError) -> PipedProcess {
        do { return try PipedProcess(executable: executable, arguments: arguments) } catch { throw BenchError(error.description) }
    }
}
