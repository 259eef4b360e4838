import Testing
@testable import Polling
import RunStatusModel

/// The budget's decisions alone: each call names its `now`, so nothing waits and the times are exact.
@Suite struct RateBudgetStateTests {
    @Test func turnsAreSpacedByTheLimit() {
        var s = RateBudgetState(limit: RateLimit(requests: 4, per: 1))
        do { let got = s.claim(now: 100, deadline: .infinity); #expect(got == .go) }
        // The next turn is 0.25 s after the first claim, whenever it is asked for.
        do { let got = s.claim(now: 100.125, deadline: .infinity); #expect(got == .wait(0.125)) }
        do { let got = s.claim(now: 100.25, deadline: .infinity); #expect(got == .go) }
        #expect(s.lastClaim == 100.25)
    }

    @Test func aTurnPastTheDeadlineIsRefusedAndNotTaken() {
        var s = RateBudgetState(limit: RateLimit(requests: 1, per: 10))
        do { let got = s.claim(now: 0, deadline: 5); #expect(got == .go) }
        let before = s
        do { let got = s.claim(now: 1, deadline: 5); #expect(got == .refused) }
        #expect(s == before)
        // Only waiting is bounded: a turn due at once goes even after the deadline.
        do { let got = s.claim(now: 20, deadline: 5); #expect(got == .go) }
    }

    @Test func startKeepsTheGapBetweenActualStartsAndTakesTheClaimAlong() {
        var s = RateBudgetState(limit: RateLimit(requests: 2, per: 1))
        do { let got = s.claim(now: 0, deadline: .infinity); #expect(got == .go) }
        do { let got = s.claim(now: 0.5, deadline: .infinity); #expect(got == .go) }
        // The first got its slot late, at 0.5: the second starts 0.5 s after it, not with it.
        do { let got = s.start(now: 0.5, deadline: .infinity); #expect(got == .go) }
        do { let got = s.start(now: 0.5, deadline: .infinity); #expect(got == .wait(0.5)) }
        do { let got = s.start(now: 1.0, deadline: .infinity); #expect(got == .go) }
        // A start moves the claims on: the next claim is spaced from it.
        #expect(s.lastClaim == 1.0)
        do { let got = s.claim(now: 1.25, deadline: .infinity); #expect(got == .wait(0.25)) }
    }

    @Test func vendorRemainderZeroHoldsUntilTheReset() {
        var s = RateBudgetState(limit: nil)
        s.observe(remaining: 0, resetIn: 5, retryAfter: nil, now: 1000)
        do { let got = s.claim(now: 1000, deadline: .infinity); #expect(got == .wait(5)) }
        do { let got = s.start(now: 1004.9, deadline: 1004.99); #expect(got == .refused) }
        do { let got = s.claim(now: 1005, deadline: .infinity); #expect(got == .go) }
    }

    @Test func vendorRemainderSpreadsTheRestUntilTheReset() {
        var s = RateBudgetState(limit: RateLimit(requests: 1, per: 0.1))
        s.observe(remaining: 4, resetIn: 2, retryAfter: nil, now: 0)
        #expect(s.effectiveGap(at: 0) == 0.5)
        #expect(s.effectiveGap(at: 1.99) == 0.5)
        // The window reset: the configured gap again.
        #expect(s.effectiveGap(at: 2) == 0.1)
        // A remainder without a reset (or a reset in the past) says nothing.
        var t = RateBudgetState(limit: nil)
        t.observe(remaining: 3, resetIn: nil, retryAfter: nil, now: 0)
        t.observe(remaining: 0, resetIn: 0, retryAfter: nil, now: 0)
        #expect(t == RateBudgetState(limit: nil))
    }

    @Test func retryAfterHoldsEveryTurnAndOnlyLengthens() {
        var s = RateBudgetState(limit: nil)
        s.observe(remaining: nil, resetIn: nil, retryAfter: 30, now: 100)
        s.observe(remaining: nil, resetIn: nil, retryAfter: 10, now: 101)
        #expect(s.blockedUntil == 130)
        do { let got = s.claim(now: 129, deadline: 200); #expect(got == .wait(1)) }
        do { let got = s.start(now: 129, deadline: 129.5); #expect(got == .refused) }
        do { let got = s.claim(now: 130, deadline: 130); #expect(got == .go) }
        do { let got = s.start(now: 130, deadline: 130); #expect(got == .go) }
    }

    @Test func aNewLimitKeepsWhatTheVendorSaid() {
        var s = RateBudgetState(limit: RateLimit(requests: 1, per: 1))
        s.observe(remaining: 0, resetIn: 60, retryAfter: nil, now: 0)
        s.setLimit(nil)
        #expect(s.gap == 0)
        do { let got = s.claim(now: 1, deadline: .infinity); #expect(got == .wait(59)) }
    }
}
