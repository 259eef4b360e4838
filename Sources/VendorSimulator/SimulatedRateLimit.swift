/// A vendor's request limit as the simulator enforces it: at most `requests` accepted requests per presented
/// credential in any sliding window of `per` seconds. Every answer of that vendor carries `X-RateLimit-Limit`,
/// `X-RateLimit-Remaining` and `X-RateLimit-Reset` (the Unix second, rounded up, at which the oldest request in the
/// window leaves it); a request past the limit gets the vendor's own 429 with `Retry-After` as well.
public struct SimulatedRateLimit: Sendable, Equatable {
    public var requests: Int
    public var per: Double

    public init(requests: Int, per: Double) {
        precondition(requests > 0 && per > 0, "a simulated rate limit needs requests > 0 and per > 0")
        self.requests = requests
        self.per = per
    }
}

/// One request as the simulator saw it, when the scenario asks for a log (`recordsRequests`).
public struct SimulatorRequestRecord: Sendable, Equatable {
    /// The simulator's clock when the request was handled.
    public var time: Double
    /// `"wes"`, …; empty for a path no vendor serves.
    public var vendor: String
    /// The request target: path and query.
    public var target: String
    public var status: Int

    public init(time: Double, vendor: String, target: String, status: Int) {
        self.time = time
        self.vendor = vendor
        self.target = target
        self.status = status
    }
}

/// The accepted request times of one credential, oldest first: at most `requests` of them.
struct SlidingWindow: Sendable {
    private(set) var times: [Double] = []

    enum Verdict: Equatable {
        case accepted(remaining: Int, resetAt: Double)
        case limited(retryAfter: Double, resetAt: Double)
    }

    mutating func admit(at now: Double, limit: SimulatedRateLimit) -> Verdict {
        times.removeAll { $0 <= now - limit.per || $0 > now }
        if times.count >= limit.requests {
            let resetAt = times[0] + limit.per
            return .limited(retryAfter: resetAt - now, resetAt: resetAt)
        }
        times.append(now)
        return .accepted(remaining: limit.requests - times.count, resetAt: times[0] + limit.per)
    }
}
