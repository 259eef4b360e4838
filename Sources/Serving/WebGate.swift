import Configuration
import Foundation
import HTTPServer
import Logging
import RunStatusModel
import RunStore
import Synchronization

/// Applies `--web.config.file` in front of the routes: basic auth on every path, and the configured response
/// headers on every answer, 401s included.
///
/// bcrypt is slow on purpose, so a successful check is remembered under a SHA-256 digest of (process-random salt,
/// user, password, hash): a wrong password has a different digest and always pays for bcrypt, a right one pays
/// once. The cache never holds a password.
///
/// bcrypt never runs where other requests wait. `route` runs on the listener's event loop before any worker:
/// no or malformed credentials get their 401 there and then; cached credentials go to the workers; anything that
/// needs bcrypt goes to the server's slow lane (its own thread and queue), unless the client is over its budget
/// of failed checks (`LoginThrottle`) or the slow lane already holds `maxPendingChecks`: then 429 or 503, held a
/// moment by the event loop's timers so that a client retrying in a loop costs nothing.
///
/// A failed check costs the same whatever the user name: unknown names are checked against the hash of highest
/// cost among the users (a match under another name counts for nothing), and every failure is answered no earlier
/// than the measured time of a check at that cost (the event loop holds the 401, no thread waits). Nothing is
/// hashed at start: a cost-31 hash would otherwise hang start-up and `--config.check`.
///
/// `apply` swaps users and headers while the server runs: each step (`route`, the slow lane, `handle`) reads one
/// `Policy`, so it sees the old config or the new one, never a mix of users and headers. Cached checks are keyed by
/// the hash too, so a changed hash needs bcrypt again; a request routed just before a change that removed its hash
/// gets the 503 with `Retry-After: 1` that a cache starting over gives, never the old hash's answer.
public final class WebGate: Sendable {
    /// The config in force with what is derived from it.
    struct Policy: Sendable {
        var config: WebConfig
        /// The configured hash of highest cost, to check unknown users against.
        var decoyHash: String?
        /// The highest cost among the users: checks at it keep `failureFloor` up to date.
        var maxCost: Int

        init(_ config: WebConfig) {
            self.config = config
            // Sorted first, so that equal costs pick the same hash on every start.
            let costliest = config.basicAuthUsers.sorted { $0.key < $1.key }.map(\.value)
                .max { (Bcrypt.cost(of: $0) ?? 0) < (Bcrypt.cost(of: $1) ?? 0) }
            maxCost = costliest.flatMap(Bcrypt.cost(of:)) ?? 0
            decoyHash = costliest
        }

        var requiresAuth: Bool { !config.basicAuthUsers.isEmpty }
    }

    private let policy: Mutex<Policy>
    private let salt: [UInt8]
    private let verified = Mutex<Set<[UInt8]>>([])
    private let throttle: Mutex<LoginThrottle>
    /// bcrypt checks admitted to the slow lane and not yet answered.
    private let pendingChecks = Atomic<Int>(0)
    /// bcrypt checks run so far, for tests of the cache.
    let bcryptRuns = Atomic<Int>(0)
    /// How long a check at `maxCost` takes: measured on the slow lane at the first failure that needs it, then
    /// smoothed over later checks at that cost (it follows the machine's load). No failure is answered sooner
    /// after its check began.
    private let failureFloor = Mutex<Duration?>(nil)
    private let clock = ContinuousClock()

    static let realm = "runstatus-exporter"
    /// Bounds the cache; when full it starts over (re-verifying costs one bcrypt per user).
    static let maxCached = 1024
    /// Checks waiting for or running on the slow lane (about a second of bcrypt at cost 10); beyond, 503.
    static let maxPendingChecks = 16
    /// How long a 429 or 503 is held before it is sent: a client hammering without reading `Retry-After`
    /// gets one answer a second per connection, and the exporter spends only a timer on it.
    static let refusalHold: Duration = .seconds(1)

    public convenience init(config: WebConfig) {
        self.init(config: config, throttle: LoginThrottle.Policy())
    }

    init(config: WebConfig, throttle throttlePolicy: LoginThrottle.Policy) {
        policy = Mutex(Policy(config))
        throttle = Mutex(LoginThrottle(policy: throttlePolicy))
        var generator = SystemRandomNumberGenerator()
        salt = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// The config in force.
    public var config: WebConfig { current.config }

    public var requiresAuth: Bool { current.requiresAuth }

    private var current: Policy { policy.withLock { $0 } }

    /// Users and headers for the next request (responses already answered or on the slow lane are not recalled).
    public func apply(_ config: WebConfig) {
        let next = Policy(config)
        let costChanged = policy.withLock { state in
            defer { state = next }
            return state.maxCost != next.maxCost
        }
        // The floor was measured at the old highest cost.
        if costChanged { failureFloor.withLock { $0 = nil } }
    }

    /// A server whose requests pass this gate before `next`: `route` picks each request's lane (users may be added
    /// later by `apply`, so it is installed even while there are none).
    public func server(configuration: HTTPServerConfiguration, next: @escaping HTTPServer.Handler) -> HTTPServer {
        var configuration = configuration
        configuration.route = { [self] request in route(request, next: next) }
        return HTTPServer(configuration: configuration, handler: { [self] request in handle(request, next: next) })
    }

    /// On the event loop: cheap work only (base64, one SHA-256, a lookup).
    func route(_ request: HTTPRequest, next: @escaping HTTPServer.Handler) -> HTTPRoute {
        let policy = current
        guard policy.requiresAuth else { return .workers }
        guard let (user, password) = Self.basicCredentials(request.header("Authorization")) else {
            return .respond(finish(Self.unauthorized(), policy))
        }
        if isVerified(user: user, password: password, policy) { return .workers }
        let now = clock.now
        if pendingChecks.load(ordering: .relaxed) >= Self.maxPendingChecks {
            return .respond(refusal(503, "too many logins being checked, retry later\n", retryAfter: .seconds(1), now: now, policy))
        }
        let client = LoginThrottle.client(ofAddress: request.remoteAddress)
        switch throttle.withLock({ $0.admit(client, now: now) }) {
        case .refused(let retryAfter):
            return .respond(refusal(429, "too many failed logins from this address, retry later\n",
                                    retryAfter: retryAfter, now: now, policy))
        case .allowed:
            pendingChecks.add(1, ordering: .relaxed)
            return .slowLane { [self] request in
                defer { pendingChecks.subtract(1, ordering: .relaxed) }
                return checkThenServe(request, user: user, password: password, client: client, next: next)
            }
        }
    }

    /// On the workers: only requests that need no bcrypt get here (or every request, without users).
    public func handle(_ request: HTTPRequest, next: (HTTPRequest) -> HTTPResponse) -> HTTPResponse {
        let policy = current
        guard policy.requiresAuth else { return finish(next(request), policy) }
        guard let (user, password) = Self.basicCredentials(request.header("Authorization")) else {
            return finish(Self.unauthorized(), policy)
        }
        guard isVerified(user: user, password: password, policy) else {
            // The cache started over between `route` and here (or the config changed): bcrypt does not belong on
            // these threads.
            return refusal(503, "credentials not checked yet, retry\n", retryAfter: .seconds(1), now: clock.now, policy)
        }
        return finish(next(request), policy)
    }

    /// On the slow lane.
    private func checkThenServe(_ request: HTTPRequest, user: String, password: [UInt8], client: String,
                                next: (HTTPRequest) -> HTTPResponse) -> HTTPResponse {
        let policy = current
        let start = clock.now
        if check(user: user, password: password, policy) {
            throttle.withLock { $0.succeeded(client, now: clock.now) }
            return finish(next(request), policy)
        }
        var response = Self.unauthorized()
        response.notBefore = start + floor(policy)
        return finish(response, policy)
    }

    func check(user: String, password: [UInt8]) -> Bool { check(user: user, password: password, current) }

    /// bcrypt against the user's hash, or the decoy's for an unknown name; remembers a success.
    private func check(user: String, password: [UInt8], _ policy: Policy) -> Bool {
        let hash = policy.config.basicAuthUsers[user]
        guard let checkedHash = hash ?? policy.decoyHash else { return false }
        let start = clock.now
        let match = Bcrypt.verify(password: password, hash: checkedHash)
        let took = clock.now - start
        bcryptRuns.add(1, ordering: .relaxed)
        if Bcrypt.cost(of: checkedHash) == policy.maxCost { record(took) }
        guard match, hash != nil else { return false }
        let key = cacheKey(user: user, password: password, hash: checkedHash)
        verified.withLock {
            if $0.count >= Self.maxCached { $0.removeAll() }
            $0.insert(key)
        }
        return true
    }

    private func record(_ took: Duration) {
        failureFloor.withLock { $0 = $0.map { ($0 * 3 + took) / 4 } ?? took }
    }

    /// The floor, measured once with a password nobody knows when no check at `maxCost` has run yet (a failed
    /// login of a cheaper user comes first). On the slow lane only.
    private func floor(_ policy: Policy) -> Duration {
        if let floor = failureFloor.withLock({ $0 }) { return floor }
        guard let decoyHash = policy.decoyHash else { return .zero }
        var generator = SystemRandomNumberGenerator()
        let password = (0..<24).map { _ in UInt8.random(in: 0x21...0x7E, using: &generator) }
        let start = clock.now
        _ = Bcrypt.verify(password: password, hash: decoyHash)
        record(clock.now - start)
        return failureFloor.withLock { $0 } ?? .zero
    }

    private func isVerified(user: String, password: [UInt8], _ policy: Policy) -> Bool {
        // The digest is computed for unknown names too (never cached), so this step also costs the same for both.
        guard let hash = policy.config.basicAuthUsers[user] ?? policy.decoyHash else { return false }
        let key = cacheKey(user: user, password: password, hash: hash)
        return verified.withLock { $0.contains(key) }
    }

    private static func unauthorized() -> HTTPResponse {
        HTTPResponse(status: 401, contentType: "text/plain; charset=utf-8", body: "Unauthorized\n",
                     headers: [("WWW-Authenticate", "Basic realm=\"\(realm)\", charset=\"UTF-8\"")])
    }

    private func refusal(_ status: Int, _ message: String, retryAfter: Duration, now: ContinuousClock.Instant,
                         _ policy: Policy) -> HTTPResponse {
        let seconds = max(1, Int((retryAfter / .seconds(1)).rounded(.up)))
        var response = HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", body: message,
                                    headers: [("Retry-After", String(seconds))])
        response.notBefore = now + min(Self.refusalHold, retryAfter)
        return finish(response, policy)
    }

    private func finish(_ response: HTTPResponse, _ policy: Policy) -> HTTPResponse {
        var response = response
        for field in policy.config.headers { response.headers.append((field.name, field.value)) }
        return response
    }

    /// `Basic base64(user:password)`; the scheme is case-insensitive, the password may contain colons.
    static func basicCredentials(_ field: String?) -> (user: String, password: [UInt8])? {
        guard let field else { return nil }
        let parts = field.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let decoded = Data(base64Encoded: parts[1].trimmingCharacters(in: .whitespaces)) else { return nil }
        let bytes = Array(decoded)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return (String(decoding: bytes[..<colon], as: UTF8.self), Array(bytes[(colon + 1)...]))
    }

    private func cacheKey(user: String, password: [UInt8], hash: String) -> [UInt8] {
        // Lengths first, so that no two different triples run together into the same bytes.
        var input = salt
        for part in [Array(user.utf8), password, Array(hash.utf8)] {
            input.append(contentsOf: withUnsafeBytes(of: UInt64(part.count).bigEndian, Array.init))
            input.append(contentsOf: part)
        }
        return SHA256.hash(input)
    }
}
