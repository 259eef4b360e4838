import Foundation
import HTTPServer
import Synchronization

/// Applies `--web.config.file` in front of the routes: basic auth on every path, and the configured response
/// headers on every answer, 401s included.
///
/// bcrypt is slow on purpose, so a successful check is remembered under a SHA-256 digest of (process-random salt,
/// user, password, hash): a wrong password has a different digest and always pays for bcrypt, a right one pays
/// once. The cache never holds a password. bcrypt runs one at a time, so a flood of bad guesses occupies a single
/// worker thread and scrapes with cached credentials still go through.
public final class WebGate: Sendable {
    public let config: WebConfig
    private let salt: [UInt8]
    private let verified = Mutex<Set<[UInt8]>>([])
    private let bcryptTurn = Mutex(())
    /// bcrypt checks run so far, for tests of the cache.
    let bcryptRuns = Atomic<Int>(0)
    /// A hash to check unknown users against, so that they cost as much as known ones (no user enumeration by time).
    private let decoyHash: String?

    static let realm = "runstatus-exporter"
    /// Bounds the cache; when full it starts over (re-verifying costs one bcrypt per user).
    static let maxCached = 1024

    public init(config: WebConfig) {
        self.config = config
        var generator = SystemRandomNumberGenerator()
        salt = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        decoyHash = config.basicAuthUsers.sorted { $0.key < $1.key }.first?.value
    }

    public var requiresAuth: Bool { !config.basicAuthUsers.isEmpty }

    public func handle(_ request: HTTPRequest, next: (HTTPRequest) -> HTTPResponse) -> HTTPResponse {
        var response: HTTPResponse
        if requiresAuth && !authorized(request.header("Authorization")) {
            response = HTTPResponse(status: 401, contentType: "text/plain; charset=utf-8", body: "Unauthorized\n",
                                    headers: [("WWW-Authenticate", "Basic realm=\"\(Self.realm)\", charset=\"UTF-8\"")])
        } else {
            response = next(request)
        }
        for field in config.headers { response.headers.append((field.name, field.value)) }
        return response
    }

    /// Whether an `Authorization` field carries the credentials of a configured user.
    func authorized(_ field: String?) -> Bool {
        guard let (user, password) = Self.basicCredentials(field) else { return false }
        let hash = config.basicAuthUsers[user]
        guard let checkedHash = hash ?? decoyHash else { return false }
        let key = cacheKey(user: user, password: password, hash: checkedHash)
        if hash != nil, verified.withLock({ $0.contains(key) }) { return true }
        let match = bcryptTurn.withLock { _ in Bcrypt.verify(password: password, hash: checkedHash) }
        bcryptRuns.add(1, ordering: .relaxed)
        guard match, hash != nil else { return false }
        verified.withLock {
            if $0.count >= Self.maxCached { $0.removeAll() }
            $0.insert(key)
        }
        return true
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
