import Foundation
import Glibc
import Synchronization

/// A child process for tests and tools: started with posix_spawn, its output in a log file (a pipe nobody drains can
/// fill up and stall the child), reaped with a non-blocking `waitpid` between `Task.sleep`s, so no thread is ever
/// blocked waiting.
///
/// Not Foundation's `Process`: started from a Swift concurrency thread it hands the child that thread's signal mask,
/// with SIGTERM blocked, so a child could never be stopped gently. Here the child starts with no signal blocked and
/// every handler at its default, and with no descriptor of ours beyond 0–2 (a socket a test still holds would
/// otherwise stay open in the child after the test closes it).
public final class SpawnedProcess: Sendable {
    public let name: String
    public let log: URL
    public let pid: pid_t
    /// Whether the child leads a process group of its own, which `signal`, `stop` and `kill` then reach whole.
    public let ownsProcessGroup: Bool
    /// The exit status once reaped: the exit code, or 128 + the signal's number when a signal ended it.
    private let reaped = Mutex<Int32?>(nil)

    /// - Parameters:
    ///   - environment: added to (or overriding) this process's environment.
    ///   - input: the child's whole standard input (kept in a file beside the log); none when nil.
    ///   - newProcessGroup: start the child in a process group of its own, so that stopping it also stops the
    ///     programs it started (a server's workers).
    public init(_ executable: String, _ arguments: [String], name: String, logDirectory: URL,
                environment: [String: String] = [:], input: [UInt8]? = nil,
                newProcessGroup: Bool = false) throws(SpawnError) {
        self.name = name
        log = logDirectory.appending(path: "\(name).log")
        ownsProcessGroup = newProcessGroup
        var inputPath = "/dev/null"
        if let input {
            let file = logDirectory.appending(path: "\(name).stdin")
            do { try Data(input).write(to: file) } catch { throw SpawnError("cannot write \(file.path): \(error)") }
            inputPath = file.path
        }

        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        let env = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { env.forEach { free($0) } }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let status = SpawnAttributes.withLogging(to: log.path, input: inputPath) { files in
            SpawnAttributes.withClean(newProcessGroup: newProcessGroup) { posix_spawn(&child, executable, &files, &$0, argv, env) }
        }
        guard status == 0 else { throw SpawnError("cannot start \(executable): \(String(cString: strerror(status)))") }
        pid = child
    }

    /// The exit status if the child has ended (reaping it), nil while it runs.
    public var exitStatus: Int32? {
        reaped.withLock { reaped in
            if reaped == nil {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid {
                    let signal = status & 0x7f
                    reaped = signal == 0 ? (status >> 8) & 0xff : 128 + signal
                }
            }
            return reaped
        }
    }

    /// The exit status, or nil when the child is still running after `timeout`.
    public func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while exitStatus == nil, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return exitStatus
    }

    public func signal(_ number: Int32) { Glibc.kill(ownsProcessGroup ? -pid : pid, number) }

    /// SIGTERM, then SIGKILL if the child has not exited within `grace`.
    public func stop(grace: Duration = .seconds(5)) async {
        guard exitStatus == nil else { return }
        signal(SIGTERM)
        if await waitForExit(timeout: grace) == nil { await kill() }
    }

    /// SIGKILL if still running: the end of every test, whatever happened. A group's other members get it even
    /// when its leader has exited.
    public func kill() async {
        if ownsProcessGroup { Glibc.kill(-pid, SIGKILL) }
        guard exitStatus == nil else { return }
        signal(SIGKILL)
        _ = await waitForExit(timeout: .seconds(5))
    }

    /// Runs `body` while the child runs, then kills the child (and its group), whether `body` returned or threw.
    public func whileRunning<T>(_ body: () async throws -> T) async rethrows -> T {
        do {
            let result = try await body()
            await kill()
            return result
        } catch {
            await kill()
            throw error
        }
    }

    /// Everything the child printed so far.
    public var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// The log's last lines, to show why a child misbehaved.
    public func logTail(lines: Int = 30) -> String {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? "(no log)"
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// Runs a short-lived program to completion, `input` on its standard input: its exit status and everything it
    /// printed (standard output and errors together).
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           input: [UInt8]? = nil,
                           timeout: Duration = .seconds(60)) async throws(SpawnError) -> (status: Int32, output: String) {
        let directory = FileManager.default.temporaryDirectory.appending(path: "spawn-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw SpawnError("cannot create \(directory.path): \(error)")
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        let name = URL(fileURLWithPath: executable).lastPathComponent
        let child = try SpawnedProcess(executable, arguments, name: name, logDirectory: directory, environment: environment,
                                       input: input)
        guard let status = await child.waitForExit(timeout: timeout) else {
            await child.kill()
            throw SpawnError("\(name) \(arguments.joined(separator: " ")) still running after \(timeout)")
        }
        return (status, child.output)
    }
}

public struct SpawnError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// posix_spawn attributes for a child that starts with no signal blocked and every handler at its default (which
/// also undoes an inherited SIGPIPE ignore), whatever the spawning thread had: Foundation's `Process` passes on a
/// Swift concurrency thread's mask, SIGTERM blocked. Shared by every spawner in the project.
public enum SpawnAttributes {
    /// - Parameter newProcessGroup: start the child in a group of its own, so killing the group ends its children.
    public static func withClean<T>(newProcessGroup: Bool = false, _ body: (inout posix_spawnattr_t) throws -> T) rethrows -> T {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        return try body(&attributes)
    }

    /// File actions for a child that logs: standard input from `input`, output and errors to `logPath`
    /// (created or truncated), nothing else inherited.
    public static func withLogging<T>(to logPath: String, input: String = "/dev/null",
                                      _ body: (inout posix_spawn_file_actions_t) throws -> T) rethrows -> T {
        var files = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&files)
        defer { posix_spawn_file_actions_destroy(&files) }
        posix_spawn_file_actions_addopen(&files, 0, input, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&files, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&files, 1, 2)
        closeInheritedDescriptors(&files)
        return try body(&files)
    }

    /// Adds the action that closes every descriptor from 3 up in the child: a socket this process holds (a test's
    /// client, libcurl's connection) must not stay open in a child after its owner closes it, or the peer never
    /// sees the close. glibc's closefrom action is not in the Glibc module, hence the lookup.
    public static func closeInheritedDescriptors(_ files: inout posix_spawn_file_actions_t) {
        if let closeFrom = addCloseFrom { _ = closeFrom(&files, 3) }
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    private static let addCloseFrom: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }
}
