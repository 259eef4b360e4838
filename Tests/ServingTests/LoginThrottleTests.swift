import Testing
@testable import Serving

/// The per-client budget of password checks, on a clock moved by hand.
@Suite struct LoginThrottleTests {
    let t0 = ContinuousClock.now
    func at(_ seconds: Double) -> ContinuousClock.Instant { t0 + .milliseconds(Int(seconds * 1000)) }

    @Test func aBurstOfFailuresThenOneCheckPerRefillInterval() {
        var throttle = LoginThrottle(policy: .init(burst: 3, refill: .seconds(6), maxClients: 100))
        for _ in 0..<3 { #expect(throttle.admit("10.0.0.1", now: at(0)) == .allowed) }
        #expect(throttle.admit("10.0.0.1", now: at(0)) == .refused(retryAfter: .seconds(6)))
        #expect(throttle.admit("10.0.0.1", now: at(4)) == .refused(retryAfter: .seconds(2)))
        #expect(throttle.admit("10.0.0.1", now: at(6)) == .allowed)
        #expect(throttle.admit("10.0.0.1", now: at(7)) == .refused(retryAfter: .seconds(5)))
        // Tokens come back on the interval's grid, not from the last refusal.
        #expect(throttle.admit("10.0.0.1", now: at(12)) == .allowed)
        // Long quiet: back to the full burst, never more.
        for _ in 0..<3 { #expect(throttle.admit("10.0.0.1", now: at(1000)) == .allowed) }
        #expect(throttle.admit("10.0.0.1", now: at(1000)) == .refused(retryAfter: .seconds(6)))
    }

    @Test func oneClientsFailuresNeverCostAnother() {
        var throttle = LoginThrottle(policy: .init(burst: 2, refill: .seconds(60), maxClients: 100))
        for _ in 0..<50 { _ = throttle.admit("127.0.0.2", now: at(1)) }
        #expect(throttle.admit("127.0.0.2", now: at(1)) != .allowed)
        #expect(throttle.admit("127.0.0.1", now: at(1)) == .allowed)
        #expect(throttle.admit("127.0.0.1", now: at(1)) == .allowed)
    }

    @Test func successfulChecksGiveTheirTokenBack() {
        var throttle = LoginThrottle(policy: .init(burst: 2, refill: .seconds(60), maxClients: 100))
        // A scraper logging in again and again (say, after each restart of the exporter) is never refused.
        for second in 0..<20 {
            #expect(throttle.admit("192.0.2.7", now: at(Double(second))) == .allowed)
            throttle.succeeded("192.0.2.7", now: at(Double(second)))
        }
        // One failure, then the right password: still a full budget.
        #expect(throttle.admit("192.0.2.7", now: at(30)) == .allowed)
        #expect(throttle.admit("192.0.2.7", now: at(30)) == .allowed)
        throttle.succeeded("192.0.2.7", now: at(30))
        #expect(throttle.admit("192.0.2.7", now: at(30)) == .allowed)
        #expect(throttle.admit("192.0.2.7", now: at(30)) != .allowed)
    }

    @Test func memoryIsBoundedDroppingRefilledClientsThenTheLeastRecentlySeen() {
        var throttle = LoginThrottle(policy: .init(burst: 2, refill: .seconds(10), maxClients: 3))
        for client in ["a", "b", "c"] { _ = throttle.admit(client, now: at(0)); _ = throttle.admit(client, now: at(0)) }
        _ = throttle.admit("c", now: at(4))  // refused, but seen
        _ = throttle.admit("a", now: at(5))
        #expect(throttle.count == 3)
        // Full: the least recently seen ("b") makes room; "a" and "c" keep their empty budgets.
        #expect(throttle.admit("d", now: at(6)) == .allowed)
        #expect(throttle.count == 3)
        #expect(throttle.admit("a", now: at(7)) != .allowed)
        #expect(throttle.admit("c", now: at(7)) != .allowed)
        #expect(throttle.admit("b", now: at(7)) == .allowed)  // forgotten: a fresh budget
        #expect(throttle.count == 3)
        // Long after, every bucket is full again and equal to an unknown client: all of them make room at once.
        for index in 0..<10 { #expect(throttle.admit("late\(index)", now: at(1000 + Double(index))) == .allowed) }
        #expect(throttle.count <= 3)
    }

    @Test func clientsAreIPv4AddressesOrIPv6Slash64s() {
        #expect(LoginThrottle.client(ofAddress: "127.0.0.2") == "127.0.0.2")
        #expect(LoginThrottle.client(ofAddress: "2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64")
        #expect(LoginThrottle.client(ofAddress: "2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64")
        #expect(LoginThrottle.client(ofAddress: "::1") == "0:0:0:0::/64")
        #expect(LoginThrottle.client(ofAddress: "") == "")
        #expect(LoginThrottle.client(ofAddress: "not:an:address") == "not:an:address")
    }
}
