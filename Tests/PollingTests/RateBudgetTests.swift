import Synchronization
import Testing
@testable import Polling
import RunStatusModel
import TestSupport

/// The budget on a clock the test owns: sleeping moves the clock, so the request times are exact.
@Suite struct RateBudgetTests {
    final class FakeTime: Sendable {
        private let value = Mutex(1000.0)
        var now: Double { value.withLock { $0 } }
        func advance(_ d: Double) { value.withLock { $0 += d } }
        var clock: @Sendable () -> Double { { [self] in now } }
        var sleep: @Sendable (Double) async -> Void { { [self] d in advance(d) } }
    }


    /// Claims and starts `count` requests one after another, as one target's cycle does.
    static func run(_ budget: RateBudget, _ time: FakeTime, count: Int, deadline: Double = .infinity,
                    afterEach: (Int) -> Void = { _ in }) async -> (starts: [Double], waits: Int) {
        var starts: [Double] = [], waits = 0
        for i in 0..<count {
            guard case .granted(let a) = await budget.claim(deadline: deadline),
                  case .granted(let b) = await budget.start(deadline: deadline) else { break }
            starts.append(time.now)
            if a || b { waits += 1 }
            afterEach(i)
        }
        return (starts, waits)
    }

    @Test func anyWindowHoldsAtMostTheLimit() async {
        let time = FakeTime()
        let budget = RateBudget(limit: RateLimit(requests: 10, per: 1), clock: time.clock, sleep: time.sleep)
        let (starts, waits) = await Self.run(budget, time, count: 35)
        #expect(starts.count == 35)
        #expect(busiestWindow(starts, per: 1) == 10)
        // Evenly spread: 0.1 s apart, the first at once.
        #expect(zip(starts, starts.dropFirst()).allSatisfy { abs(($1 - $0) - 0.1) < 1e-9 })
        #expect(waits == 34)
    }

    @Test func nothingStartsPastTheDeadline() async {
        let time = FakeTime()
        let budget = RateBudget(limit: RateLimit(requests: 100, per: 60), clock: time.clock, sleep: time.sleep)
        let (starts, _) = await Self.run(budget, time, count: 20, deadline: 1000 + 2.0)
        // 0, 0.6, 1.2, 1.8: the fifth would start at 2.4, after the deadline, and is left for the next cycle.
        #expect(starts.count == 4)
        #expect(time.now <= 1002)
        // The refused request took no turn: the next cycle starts where the budget allows.
        let next = await Self.run(budget, time, count: 1)
        #expect(next.starts.count == 1 && abs(next.starts[0] - 1002.4) < 1e-9)
    }

    @Test func noLimitMeansNoWait() async {
        let time = FakeTime()
        let budget = RateBudget(limit: nil, clock: time.clock, sleep: time.sleep)
        let (starts, waits) = await Self.run(budget, time, count: 50)
        #expect(starts.count == 50 && waits == 0 && time.now == 1000)
    }

    @Test func vendorHeadersHoldAndSpreadRequests() async {
        let time = FakeTime()
        let budget = RateBudget(limit: nil, clock: time.clock, sleep: time.sleep)
        // Nothing left until the reset in 5 s: the next request waits for it.
        budget.observe(remaining: 0, resetIn: 5, retryAfter: nil)
        var (starts, _) = await Self.run(budget, time, count: 1)
        #expect(starts == [1005])
        // Four left for the next 2 s: spread 0.5 s apart, then free again.
        budget.observe(remaining: 4, resetIn: 2, retryAfter: nil)
        (starts, _) = await Self.run(budget, time, count: 5)
        #expect(starts == [1005.5, 1006, 1006.5, 1007, 1007])
        // Retry-After holds everything that long; a deadline before it refuses at once, without waiting.
        budget.observe(remaining: nil, resetIn: nil, retryAfter: 30)
        #expect(await budget.claim(deadline: 1010) == .refused)
        #expect(time.now == 1007)
        (starts, _) = await Self.run(budget, time, count: 1)
        #expect(starts == [1037])
    }

    @Test func startKeepsTheGapBetweenActualStarts() async {
        let time = FakeTime()
        let budget = RateBudget(limit: RateLimit(requests: 2, per: 1), clock: time.clock, sleep: time.sleep)
        // Two requests claim their turns at 0 and 0.5, but the first one only gets its concurrency slot at 0.5:
        // the second must still start 0.5 s after it, not together with it.
        #expect(await budget.claim(deadline: .infinity) == .granted(waited: false))
        #expect(await budget.claim(deadline: .infinity) == .granted(waited: true))
        #expect(time.now == 1000.5)
        #expect(await budget.start(deadline: .infinity) == .granted(waited: false))
        let first = time.now
        #expect(await budget.start(deadline: .infinity) == .granted(waited: true))
        #expect(abs(time.now - first - 0.5) < 1e-9)
    }
}

extension RateBudgetTests {
    /// A slow cycle past its deadline still makes the requests the budget allows at once: only waiting is bounded.
    @Test func aLateCycleStillMakesRequestsThatNeedNoWait() async {
        let time = FakeTime()
        let budget = RateBudget(limit: nil, clock: time.clock, sleep: time.sleep)
        let deadline = time.now + 0.2
        _ = await Self.run(budget, time, count: 1)
        time.advance(0.5)
        let (starts, _) = await Self.run(budget, time, count: 3, deadline: deadline)
        #expect(starts.count == 3)
        let limited = RateBudget(limit: RateLimit(requests: 1, per: 1), clock: time.clock, sleep: time.sleep)
        let late = time.now - 0.1
        #expect(await limited.claim(deadline: late) == .granted(waited: false))
        #expect(await limited.claim(deadline: late) == .refused)
    }
}
