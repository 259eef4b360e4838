import Foundation
import Glibc
import Synchronization

/// A child process started with posix_spawn, its output in a log file (a pipe nobody drains can fill up and stall
/// the child), reaped with a non-blocking `waitpid` between `Task.sleep`s: no thread is ever blocked waiting.
///
/// Not Foundation's `Process`: started from a Swift concurrency thread it hands the child that thread's signal
/// mask, with SIGTERM blocked (seen here: SigBlk fffffffe3bfaea27), so a child could never be stopped gently.
/// Here the child starts with no signal blocked and every handler at its default.
final class Subprocess: Sendable {
    let name: String
    let log: URL
    let pid: pid_t
    /// The exit status once reaped: the exit code, or 128 + the signal's number when a signal ended it.
    private let reaped = Mutex<Int32?>(nil)

    init(_ executable: String, _ arguments: [String], name: String, logDirectory: URL) throws {
        self.name = name
        log = logDirectory.appending(path: "\(name).log")

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)  // undoes an inherited SIGPIPE ignore, too
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var files = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&files)
        defer { posix_spawn_file_actions_destroy(&files) }
        posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&files, 1, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&files, 1, 2)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &files, &attributes, argv, environ)
        guard status == 0 else {
            throw SubprocessError.cannotStart(executable, String(cString: strerror(status)))
        }
        pid = child
    }

    /// The exit status if the child has ended (reaping it), nil while it runs.
    var exitStatus: Int32? {
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
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while exitStatus == nil, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return exitStatus
    }

    /// SIGTERM, then SIGKILL if the child has not exited within `grace`.
    func stop(grace: Duration = .seconds(5)) async {
        guard exitStatus == nil else { return }
        kill(pid, SIGTERM)
        if await waitForExit(timeout: grace) == nil {
            kill(pid, SIGKILL)
            _ = await waitForExit(timeout: .seconds(5))
        }
    }

    /// The log's last lines, to show why a child misbehaved.
    func logTail(lines: Int = 30) -> String {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? "(no log)"
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// Runs a short-lived tool to completion: its exit status and everything it printed.
    static func run(_ executable: String, _ arguments: [String],
                    timeout: Duration = .seconds(60)) async throws -> (status: Int32, output: String) {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let name = URL(fileURLWithPath: executable).lastPathComponent
        let child = try Subprocess(executable, arguments, name: name, logDirectory: directory.url)
        guard let status = await child.waitForExit(timeout: timeout) else {
            await child.stop()
            throw SubprocessError.timedOut("\(name) \(arguments.joined(separator: " ")) still running after \(timeout)")
        }
        return (status, try String(contentsOf: child.log, encoding: .utf8))
    }
}

enum SubprocessError: Error, CustomStringConvertible {
    case cannotStart(String, String)
    case timedOut(String)

    var description: String {
        switch self {
        case .cannotStart(let executable, let reason): "cannot start \(executable): \(reason)"
        case .timedOut(let what): what
        }
    }
}
