import Foundation
import Glibc
import Synchronization

/// A child whose stdin and stdout are pipes to us, its stderr ours (progress shows through), started with
/// posix_spawn and the clean attributes `SpawnAttributes` gives (see `SpawnedProcess` for why not Foundation's
/// `Process`): the benchmark's own binary in another role (`--serve-simulator`, `--measure`), or wrk. Closing its
/// stdin tells such a child to end, so it never outlives a parent that died. Its methods block: call them from a
/// thread of its own, never from a Swift task.
public final class PipedProcess: Sendable {
    public let pid: pid_t
    /// Our end of the child's stdin.
    public let input: Int32
    /// Our end of the child's stdout.
    public let output: Int32
    private let reaped = Mutex<Int32?>(nil)

    /// Starts `executable` (this binary when nil) with `arguments`.
    public init(executable: String? = nil, arguments: [String]) throws(SpawnError) {
        var toChild: [Int32] = [0, 0], fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0 else { throw SpawnError("cannot create a pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&fromChild) == 0 else {
            let code = errno
            Glibc.close(toChild[0]); Glibc.close(toChild[1])
            throw SpawnError("cannot create a pipe: \(String(cString: strerror(code)))")
        }
        // Close-on-exec everywhere: dup2 onto 0 and 1 clears it there, so the child keeps only those.
        for fd in toChild + fromChild { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

        var files = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&files)
        defer { posix_spawn_file_actions_destroy(&files) }
        posix_spawn_file_actions_adddup2(&files, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&files, fromChild[1], 1)

        let executable = executable ?? Self.ownExecutable
        let argv = ([CommandLine.arguments.first ?? "runstatus-bench"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let status = SpawnAttributes.withClean { posix_spawn(&child, executable, &files, &$0, argv, environ) }
        Glibc.close(toChild[0])
        Glibc.close(fromChild[1])
        guard status == 0 else {
            Glibc.close(toChild[1]); Glibc.close(fromChild[0])
            throw SpawnError("cannot start \(executable) \(arguments.joined(separator: " ")): \(String(cString: strerror(status)))")
        }
        pid = child
        input = toChild[1]
        output = fromChild[0]
    }

    /// This binary's path, read through /proc/self/exe (valgrind answers that readlink with its client's path,
    /// where spawning /proc/self/exe itself would start valgrind's tool).
    public static let ownExecutable: String = {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return "/proc/self/exe" }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// One line of the child's stdout, without its line feed; nil at end of output. Blocks.
    public func readLine() -> String? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let n = read(output, &byte, 1)
            if n == 1 {
                if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
                line.append(byte)
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return line.isEmpty ? nil : String(decoding: line, as: UTF8.self)
            }
        }
    }

    /// Everything the child writes on stdout until it closes it. Blocks.
    public func readToEnd() -> [UInt8] {
        var all: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if n > 0 { all.append(contentsOf: chunk[0..<n]) }
            else if n < 0 && errno == EINTR { continue }
            else { return all }
        }
    }

    /// End of input: the child's cue to stop.
    public func closeInput() {
        Glibc.close(input)
    }

    /// Waits for the child to end and reaps it: its exit code, or 128 + the signal that ended it. Blocks.
    public func waitForExit() -> Int32 {
        reaped.withLock { reaped in
            if let reaped { return reaped }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let signal = status & 0x7f
            let code = signal == 0 ? (status >> 8) & 0xff : 128 + signal
            Glibc.close(output)
            reaped = code
            return code
        }
    }

    /// Lowers the scheduling priority of every thread the child has now (Linux's nice is per thread; threads it
    /// starts later inherit their creator's). Raising nice needs no privilege; lowering it again would.
    public func lowerPriority(nice: Int32) {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return }
        for task in tasks {
            if let tid = id_t(task) { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid, nice) }
        }
    }
}
