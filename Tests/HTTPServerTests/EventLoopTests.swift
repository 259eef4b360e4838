import Glibc
import Testing
@testable import HTTPServer

@Suite struct EventLoopTests {
    @Test func roundsPollTimeoutsUp() {
        let now = ContinuousClock.now
        #expect(EventLoop.pollTimeout(until: nil, now: now) == -1)
        #expect(EventLoop.pollTimeout(until: now, now: now) == 0)
        #expect(EventLoop.pollTimeout(until: now - .seconds(1), now: now) == 0)
        #expect(EventLoop.pollTimeout(until: now + .microseconds(1), now: now) == 1)
        #expect(EventLoop.pollTimeout(until: now + .milliseconds(1500), now: now) == 1500)
        #expect(EventLoop.pollTimeout(until: now + .seconds(3_000_000), now: now) == Int32.max)
    }

    /// Running out of descriptors must pause and shed, never spin; a connection dying in the backlog must not
    /// stop accepting the others. (The whole path was run by hand with RLIMIT_NOFILE=48 and 100 clients.)
    @Test func classifiesAcceptFailures() {
        #expect(EventLoop.acceptFailure(EAGAIN) == .drained)
        #expect(EventLoop.acceptFailure(EWOULDBLOCK) == .drained)
        for code in [EINTR, ECONNABORTED, EPROTO, EPERM, ENETDOWN, EHOSTUNREACH] {
            #expect(EventLoop.acceptFailure(code) == .transient, "\(code)")
        }
        #expect(EventLoop.acceptFailure(EMFILE) == .outOfDescriptors)
        #expect(EventLoop.acceptFailure(ENFILE) == .outOfDescriptors)
        #expect(EventLoop.acceptFailure(ENOBUFS) == .outOfMemory)
        #expect(EventLoop.acceptFailure(ENOMEM) == .outOfMemory)
        #expect(EventLoop.acceptFailure(EINVAL) == .closed)
        #expect(EventLoop.acceptFailure(EBADF) == .closed)
    }
}
