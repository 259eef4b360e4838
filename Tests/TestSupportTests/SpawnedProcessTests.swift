import ChildProcesses
import Foundation
import Glibc
import TestSupport
import Testing

/// The one spawner the tests and the benchmark share: what a test hands a child arrives, and stopping a child
/// that leads a group stops what it started.
@Suite struct SpawnedProcessTests {
    @Test func inputReachesTheChildsStandardInput() async throws {
        let text = "runstatus_up 1\nsecond line\n"
        let result = try await SpawnedProcess.run("/bin/cat", [], input: Array(text.utf8))
        #expect(result.status == 0)
        #expect(result.output == text)
    }

    @Test func withoutInputTheChildReadsNothing() async throws {
        let result = try await SpawnedProcess.run("/bin/sh", ["-c", "wc -c"])
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    @Test func exitStatusAndSignalAreReported() async throws {
        #expect(try await SpawnedProcess.run("/bin/sh", ["-c", "exit 3"]).status == 3)
        #expect(try await SpawnedProcess.run("/bin/sh", ["-c", "kill -TERM $$"]).status == 128 + SIGTERM)
    }

    @Test func killingAGroupLeaderEndsItsChildrenToo() async throws {
        let directory = try TemporaryDirectory(prefix: "spawn-tests")
        defer { directory.remove() }
        // The leader starts a grandchild that would outlive it, and says its pid.
        let leader = try SpawnedProcess("/bin/sh", ["-c", "sleep 300 & echo $! > \"$0\"; wait", directory.file("pid")],
                                        name: "leader", logDirectory: directory.url, newProcessGroup: true)
        let written = await eventually(timeout: 10) {
            (try? String(contentsOfFile: directory.file("pid"), encoding: .utf8))?.hasSuffix("\n") == true
        }
        try #require(written, "the leader never wrote its child's pid: \(leader.logTail())")
        let grandchild = try #require(pid_t(try String(contentsOfFile: directory.file("pid"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        await leader.kill()
        #expect(leader.exitStatus == 128 + SIGKILL)
        // The grandchild is the leader's to reap (now init's): gone means kill(pid, 0) fails or it is a zombie.
        let gone = await eventually(timeout: 10) { Glibc.kill(grandchild, 0) != 0 || Self.isZombie(grandchild) }
        #expect(gone, "the group's other member survived its leader's kill")
    }

    static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }
}
