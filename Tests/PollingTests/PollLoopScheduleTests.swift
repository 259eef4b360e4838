import Testing
@testable import Polling

/// One target's loop timing, driven by hand: each step names its `now`.
@Suite struct PollLoopScheduleTests {
    @Test func cyclesComeOneIntervalAfterTheLastBegan() {
        var s = PollLoopSchedule(pollInterval: 30, listingInterval: nil)
        do { let got = s.begin(now: 1000); #expect(got == .cycle(listing: false)) }
        s.cycled(notBefore: 0, listed: false)
        // The cycle took 4 s: the next begins 30 s after the last began.
        #expect(s.sleep(now: 1004) == 26)
        // A cycle longer than its interval does not spin.
        #expect(s.sleep(now: 1040) == 0.05)
    }

    @Test func aVendorsWaitHoldsCyclesUntilItEnds() {
        var s = PollLoopSchedule(pollInterval: 30, listingInterval: nil)
        do { let got = s.begin(now: 1000); #expect(got == .cycle(listing: false)) }
        s.cycled(notBefore: 1120, listed: false)
        do { let got = s.begin(now: 1030); #expect(got == .hold(listing: false, seconds: 90)) }
        do { let got = s.begin(now: 1119); #expect(got == .hold(listing: false, seconds: 1)) }
        do { let got = s.begin(now: 1120); #expect(got == .cycle(listing: false)) }
        // A cycle that ends without a wait lifts it.
        s.cycled(notBefore: 0, listed: false)
        do { let got = s.begin(now: 1150); #expect(got == .cycle(listing: false)) }
    }

    @Test func listingsComeEveryDiscoverIntervalWithSlack() {
        var s = PollLoopSchedule(pollInterval: 30, listingInterval: 120)
        // The first cycle lists.
        do { let got = s.begin(now: 0); #expect(got == .cycle(listing: true)) }
        s.cycled(notBefore: 0, listed: true)
        do { let got = s.begin(now: 30); #expect(got == .cycle(listing: false)) }
        s.cycled(notBefore: 0, listed: false)
        // One second of slack (a tenth of the interval, at most 1 s): a listing a moment late is not put off.
        do { let got = s.begin(now: 118.9); #expect(got == .cycle(listing: false)) }
        s.cycled(notBefore: 0, listed: false)
        do { let got = s.begin(now: 119); #expect(got == .cycle(listing: true)) }
        s.cycled(notBefore: 0, listed: true)
        #expect(s.lastListing == 119)
    }

    @Test func aListingHeldBackStaysDue() {
        var s = PollLoopSchedule(pollInterval: 30, listingInterval: 60)
        do { let got = s.begin(now: 0); #expect(got == .cycle(listing: true)) }
        // The listing request was not made (the vendor's wait): the next cycle lists.
        s.cycled(notBefore: 45, listed: false)
        do { let got = s.begin(now: 30); #expect(got == .hold(listing: true, seconds: 15)) }
        do { let got = s.begin(now: 60); #expect(got == .cycle(listing: true)) }
    }

    @Test func withoutDiscoverNothingLists() {
        var s = PollLoopSchedule(pollInterval: 5, listingInterval: nil)
        for k in 0..<5 {
            do { let got = s.begin(now: Double(k) * 5); #expect(got == .cycle(listing: false)) }
            s.cycled(notBefore: 0, listed: false)
        }
    }
}
