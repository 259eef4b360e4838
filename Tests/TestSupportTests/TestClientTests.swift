import Glibc
import Synchronization
import TestSupport
import Testing

@Suite struct TestClientTests {
    /// A refused connect closes its descriptor once: a second close would hit whatever another thread opened under
    /// the same number meanwhile (a test's pipe, a child's log), which then fails with EBADF.
    @Test func aRefusedConnectClosesItsDescriptorOnce() async throws {
        let refused = try LoopbackPort.free()  // nothing listens there
        let stop = Atomic<Bool>(false)
        async let lost: Int = onThread {
            var lost = 0
            while !stop.load(ordering: .relaxed) {
                var fds: [Int32] = [0, 0]
                guard pipe(&fds) == 0 else { continue }
                for _ in 0..<20 where fcntl(fds[0], F_GETFD) < 0 || fcntl(fds[1], F_GETFD) < 0 { lost += 1 }
                close(fds[0])
                close(fds[1])
            }
            return lost
        }
        let refusals = await onThread {
            var refusals = 0
            for _ in 0..<3000 where (try? TestClient.connectNow(port: refused)) == nil { refusals += 1 }
            return refusals
        }
        stop.store(true, ordering: .relaxed)
        #expect(refusals == 3000)
        #expect(await lost == 0, "another thread's descriptor was closed under it")
    }
}
