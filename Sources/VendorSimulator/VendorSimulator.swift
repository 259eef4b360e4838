#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HTTPServer
import TLS
import Synchronization

/// The five vendors' run-status APIs on one handler, as their documents describe them, driven by a scenario and an
/// injected clock. Thread-safe: the server calls `handle` from its worker threads.
public final class VendorSimulator: Sendable {
    public let scenario: SimulatorScenario
    let index: SimulatorIndex
    let now: @Sendable () -> Double
    private let sleep: @Sendable (Double) -> Void
    private let state = Mutex(Counters())

    private struct Counters {
        var total = 0
        var perVendor = [Int](repeating: 0, count: SimulatedVendor.allCases.count)
        /// Fixed one-minute windows by vendor and presented credential.
        var windows: [String: (start: Double, count: Int)] = [:]
        /// The scenario's sliding-window limits, by vendor and presented credential.
        var sliding: [String: SlidingWindow] = [:]
        var log: [SimulatorRequestRecord] = []
        var limited = 0
    }

    /// - Parameters:
    ///   - now: Unix seconds; tests pass their own to move runs through their scripts.
    ///   - sleep: how a `delay` fault waits; the default blocks the calling (server worker) thread.
    public init(scenario: SimulatorScenario,
                now: @escaping @Sendable () -> Double = VendorSimulator.systemTime,
                sleep: @escaping @Sendable (Double) -> Void = VendorSimulator.threadSleep) {
        self.scenario = scenario
        index = SimulatorIndex(scenario)
        self.now = now
        self.sleep = sleep
    }

    /// Every request handled, whatever its answer.
    public var requestCount: Int { state.withLock { $0.total } }

    /// Every request handled so far, when the scenario `recordsRequests`; empty otherwise.
    public var requestLog: [SimulatorRequestRecord] { state.withLock { $0.log } }

    /// Requests refused for the scenario's `rateLimits` (429).
    public var rateLimitedCount: Int { state.withLock { $0.limited } }

    /// Requests routed to `vendor` (`"rsa"`, …), whatever their answer.
    public func requestCount(for vendor: String) -> Int {
        guard let vendor = SimulatedVendor(name: vendor) else { return 0 }
        return state.withLock { $0.perVendor[vendor.rawValue] }
    }

    /// Starts an `HTTPServer` answering with this simulator; its `port` tells where. The caller stops it.
    /// `tls`: serve HTTPS with that context (tests of the fetcher's `tls_config`).
    public func serve(host: String = "127.0.0.1", port: UInt16 = 0, tls: TLSServerContext? = nil) throws -> HTTPServer {
        var configuration = HTTPServerConfiguration(host: host, port: port)
        configuration.tls = tls
        let server = HTTPServer(configuration: configuration,
                                handler: { [self] request in handle(request) })
        _ = try server.start()
        return server
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let now = now()
        let response = route(request, now: now)
        if scenario.recordsRequests {
            let vendor = Self.route(request.path.split(separator: "/"))?.vendor.name ?? ""
            let record = SimulatorRequestRecord(time: now, vendor: vendor, target: request.target, status: response.status)
            state.withLock { $0.log.append(record) }
        }
        return response
    }

    private func route(_ request: HTTPRequest, now: Double) -> HTTPResponse {
        let segments = request.path.split(separator: "/")
        let route = Self.route(segments)
        state.withLock { counters in
            counters.total += 1
            if let route { counters.perVendor[route.vendor.rawValue] += 1 }
        }
        guard let route else { return .text(404, "No simulated vendor API at \(request.path)\n") }
        guard request.method == "GET" else {
            return HTTPResponse(status: 405, contentType: "text/plain; charset=utf-8",
                                body: "Only GET is simulated\n", headers: [("Allow", "GET")])
        }
        let rest = segments.dropFirst(route.prefixLength)
        guard let limit = scenario.rateLimits[route.vendor.name] else {
            return dispatch(route.vendor, request, rest: rest, now: now)
        }
        let key = "\(route.vendor.rawValue) \(request.header("Authorization") ?? request.header("X-SBG-Auth-Token") ?? "")"
        let verdict = state.withLock { counters in
            var window = counters.sliding[key] ?? SlidingWindow()
            let verdict = window.admit(at: now, limit: limit)
            counters.sliding[key] = window
            if case .limited = verdict { counters.limited += 1 }
            return verdict
        }
        var response: HTTPResponse
        let remaining: Int, resetAt: Double
        switch verdict {
        case .limited(let retryAfter, let reset):
            response = Self.tooManyRequests(route.vendor, request, retryAfter: retryAfter, now: now)
            response.headers.removeAll { ["retry-after", "x-ratelimit-reset", "x-ratelimit-remaining"].contains($0.name.lowercased()) }
            response.headers.append(("Retry-After", String(Self.wholeSeconds(retryAfter))))
            (remaining, resetAt) = (0, reset)
        case .accepted(let left, let reset):
            response = dispatch(route.vendor, request, rest: rest, now: now)
            (remaining, resetAt) = (left, reset)
        }
        response.headers.append(("X-RateLimit-Limit", String(limit.requests)))
        response.headers.append(("X-RateLimit-Remaining", String(remaining)))
        response.headers.append(("X-RateLimit-Reset", String(Int64(resetAt.rounded(.up)))))
        return response
    }

    private func dispatch(_ vendor: SimulatedVendor, _ request: HTTPRequest, rest: ArraySlice<Substring>, now: Double) -> HTTPResponse {
        switch vendor {
        case .rsa: return rsa(request, rest: rest, now: now)
        case .sequentum: return sequentum(request, rest: rest, now: now)
        case .instabase: return instabase(request, rest: rest, now: now)
        case .wes: return wes(request, rest: rest, now: now)
        case .nexio: return nexio(request, rest: rest, now: now)
        }
    }

    /// The vendor's own 429 body.
    private static func tooManyRequests(_ vendor: SimulatedVendor, _ request: HTTPRequest, retryAfter: Double, now: Double) -> HTTPResponse {
        switch vendor {
        case .rsa: return rsaError(429, "Too many requests. Try again later.")
        case .sequentum: return sequentumProblem(429, "Rate limit exceeded.", instance: String(request.path), retryAfter: retryAfter)
        case .instabase: return instabaseError(429)
        case .wes: return wesError(429, "Too many requests")
        case .nexio: return nexioError(429, now: now, resetIn: retryAfter)
        }
    }

    /// The vendor whose documented path prefix starts `segments`, and how many segments that prefix has.
    private static func route(_ segments: [Substring]) -> (vendor: SimulatedVendor, prefixLength: Int)? {
        func starts(_ prefix: [Substring]) -> Bool { segments.starts(with: prefix) }
        if starts(["aveksa", "command.submit"]) && segments.count == 2 { return (.rsa, 2) }
        if starts(["api", "v1", "agent"]) { return (.sequentum, 3) }
        if starts(["api", "v2", "apps", "runs"]) { return (.instabase, 4) }
        if starts(["ga4gh", "wes", "v1", "runs"]) { return (.wes, 4) }
        if starts(["api", "v1", "runs"]) { return (.nexio, 3) }
        return nil
    }

    // MARK: Shared by the vendors

    /// Whether the request carries the credential the scenario expects of `vendor`, in one of its documented headers.
    func authorized(_ vendor: SimulatedVendor, _ request: HTTPRequest) -> Bool {
        guard let expected = scenario.credentials[vendor.name] else { return true }
        let authorization = request.header("Authorization")
        switch vendor {
        case .rsa, .instabase, .nexio:
            return Self.token(authorization, scheme: "Bearer") == expected
        case .sequentum:
            return Self.token(authorization, scheme: "ApiKey") == expected
                || Self.token(authorization, scheme: "Bearer") == expected
        case .wes:
            return request.header("X-SBG-Auth-Token") == expected
                || Self.token(authorization, scheme: "Bearer") == expected
        }
    }

    /// The credential after `scheme ` in an Authorization value (scheme compared case-insensitively).
    private static func token(_ authorization: String?, scheme: String) -> String? {
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, String(parts[0]).caseInsensitiveEquals(scheme) else { return nil }
        var credential = parts[1]
        while credential.first == " " { credential = credential.dropFirst() }
        while credential.last == " " { credential = credential.dropLast() }
        return String(credential)
    }

    /// Counts a request against the per-key limit; the seconds until the window resets when over it, else nil.
    func rateLimited(_ vendor: SimulatedVendor, _ request: HTTPRequest, perMinute limit: Int, now: Double) -> Double? {
        guard limit > 0 else { return nil }
        let key = "\(vendor.rawValue) \(request.header("Authorization") ?? "")"
        return state.withLock { counters in
            var window = counters.windows[key] ?? (start: now, count: 0)
            if now >= window.start + 60 || now < window.start { window = (start: now, count: 0) }
            window.count += 1
            counters.windows[key] = window
            return window.count > limit ? window.start + 60 - now : nil
        }
    }

    /// Answers for one run as of `now`, applying its fault: `error(status)` renders the vendor's error body.
    func answer(_ run: PreparedRun, now: Double, error: (Int) -> HTTPResponse,
                render: (RunSnapshot) -> HTTPResponse) -> HTTPResponse {
        guard let snapshot = run.snapshot(at: now) else { return error(404) }
        switch run.fault(at: now) {
        case .httpError(let status)?:
            return error(status)
        case .proxyBadGateway?:
            return Self.proxyBadGateway
        case .truncatedBody?:
            var response = render(snapshot)
            response.body = Array(response.body.prefix(response.body.count / 2))
            return response
        case .delay(let seconds)?:
            sleep(seconds)
            let later = self.now()
            return render(run.snapshot(at: later) ?? snapshot)
        case .unknownStatus?, nil:
            return render(snapshot)
        }
    }

    /// Whether list endpoints show the run at `now`: created, and not one the vendor answers 404 for.
    func listed(_ run: PreparedRun, now: Double) -> Bool {
        run.created <= now && run.fault(at: now) != .httpError(404)
    }

    /// What nginx in front of a vendor answers when the vendor is down.
    static let proxyBadGateway = HTTPResponse(status: 502, contentType: "text/html", body: """
        <html>\r
        <head><title>502 Bad Gateway</title></head>\r
        <body>\r
        <center><h1>502 Bad Gateway</h1></center>\r
        <hr><center>nginx</center>\r
        </body>\r
        </html>\r

        """)

    static func json(_ status: Int, _ body: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", body: body, headers: headers)
    }

    /// Whole seconds for `Retry-After`, never 0 (a client would retry at once).
    static func wholeSeconds(_ seconds: Double) -> Int {
        max(1, Int(seconds.rounded(.up)))
    }

    // MARK: Defaults

    /// The wall clock, as Unix seconds.
    @Sendable public static func systemTime() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Blocks the calling thread: a `delay` fault holds the server's worker as a slow vendor would.
    @Sendable public static func threadSleep(_ seconds: Double) {
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
