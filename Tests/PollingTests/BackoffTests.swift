import Testing
@testable import Polling

@Suite struct BackoffTests {
    @Test func holdsUntilTheLongestWaitAndAtMostAnHour() {
        var b = Backoff()
        #expect(!b.holds(at: 0))
        b.wait(120, from: 1000)
        b.wait(10, from: 1001)
        #expect(b.until == 1120)
        #expect(b.holds(at: 1119.9))
        #expect(!b.holds(at: 1120))
        b.wait(86_400, from: 2000)
        #expect(b.until == 2000 + Backoff.longest)
    }
}
