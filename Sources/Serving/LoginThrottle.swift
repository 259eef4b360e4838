import Configuration
import Glibc
import Logging
import RunStatusModel
import RunStore

/// How many password checks each client may ask for: a token bucket per client (an IPv4 address, or the /64
/// of an IPv6 one, since one host usually holds a whole /64). A check takes a token when it is admitted and gives
/// it back if the password was right, so only failures wear a budget down, and only the budget of the client that
/// failed. Past the budget the client is refused until a token comes back.
///
/// A pure value on an injected `now`, with bounded memory: at `maxClients` the buckets that are full again
/// (equal to a client never seen) are dropped first, then the one seen longest ago.
struct LoginThrottle: Sendable {
    struct Policy: Sendable, Equatable {
        /// Checks a client may fail in a row.
        var burst = 10
        /// One more check allowed per interval, up to `burst`.
        var refill: Duration = .seconds(6)
        /// Clients remembered at once.
        var maxClients = 4096
    }

    enum Decision: Equatable {
        case allowed
        /// Over budget: the next token comes back after this long.
        case refused(retryAfter: Duration)
    }

    private struct Bucket {
        var tokens: Int
        /// When `tokens` was last brought up to date; tokens come back in whole intervals from here.
        var refilledAt: ContinuousClock.Instant
        var lastSeen: ContinuousClock.Instant
    }

    let policy: Policy
    private var buckets: [String: Bucket] = [:]

    init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// Clients currently remembered.
    var count: Int { buckets.count }

    /// Takes one check from `client`'s budget, or says how long until one is free.
    mutating func admit(_ client: String, now: ContinuousClock.Instant) -> Decision {
        var bucket = buckets[client].map { refilled($0, now: now) } ?? Bucket(tokens: policy.burst, refilledAt: now, lastSeen: now)
        bucket.lastSeen = now
        guard bucket.tokens > 0 else {
            buckets[client] = bucket
            return .refused(retryAfter: bucket.refilledAt + policy.refill - now)
        }
        bucket.tokens -= 1
        if buckets[client] == nil { makeRoom(now: now) }
        buckets[client] = bucket
        return .allowed
    }

    /// The admitted check found the right password: its token comes back.
    mutating func succeeded(_ client: String, now: ContinuousClock.Instant) {
        guard var bucket = buckets[client].map({ refilled($0, now: now) }) else { return }
        bucket.tokens = min(policy.burst, bucket.tokens + 1)
        if bucket.tokens == policy.burst { bucket.refilledAt = now }
        buckets[client] = bucket
    }

    private func refilled(_ bucket: Bucket, now: ContinuousClock.Instant) -> Bucket {
        var bucket = bucket
        guard now > bucket.refilledAt, bucket.tokens < policy.burst else {
            if bucket.tokens >= policy.burst { bucket.refilledAt = max(bucket.refilledAt, now) }
            return bucket
        }
        let gained = Int(((now - bucket.refilledAt) / policy.refill).rounded(.down))
        guard gained > 0 else { return bucket }
        if bucket.tokens + gained >= policy.burst {
            bucket.tokens = policy.burst
            bucket.refilledAt = now
        } else {
            bucket.tokens += gained
            bucket.refilledAt = bucket.refilledAt + policy.refill * gained
        }
        return bucket
    }

    private mutating func makeRoom(now: ContinuousClock.Instant) {
        guard buckets.count >= policy.maxClients else { return }
        buckets = buckets.filter { refilled($0.value, now: now).tokens < policy.burst }
        while buckets.count >= max(1, policy.maxClients),
              let oldest = buckets.min(by: { $0.value.lastSeen < $1.value.lastSeen })?.key {
            buckets[oldest] = nil
        }
    }

    /// The budget key of a peer address: IPv4 as is, IPv6 by its /64; empty (unknown) stays empty, one shared
    /// budget for every peer the listener could not name.
    static func client(ofAddress address: String) -> String {
        guard address.contains(":") else { return address }
        var bytes = in6_addr()
        guard inet_pton(AF_INET6, address, &bytes) == 1 else { return address }
        let prefix = withUnsafeBytes(of: bytes) { Array($0.prefix(8)) }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(prefix[$0]) << 8 | UInt16(prefix[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }
}
