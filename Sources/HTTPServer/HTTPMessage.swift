/// One parsed HTTP/1.x request.
public struct HTTPRequest: Sendable {
    /// As sent, e.g. `GET`.
    public var method: String
    /// The request target, e.g. `/metrics?x=1`: as sent, except that an absolute-form target
    /// (`http://host:9464/metrics?x=1`, which servers must accept) is reduced to its path and query.
    public var target: String
    /// `HTTP/1.1` or `HTTP/1.0` (HTTP/1.2 to 1.9 arrive as `HTTP/1.1`).
    public var version: String
    /// In arrival order; names as sent.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// The peer's address, e.g. `127.0.0.1`; empty when unknown.
    public var remoteAddress: String

    public init(method: String, target: String, version: String = "HTTP/1.1",
                headers: [(name: String, value: String)] = [], body: [UInt8] = [], remoteAddress: String = "") {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// The target without its query.
    public var path: Substring {
        if let q = target.firstIndex(of: "?") { return target[..<q] }
        return target[...]
    }

    /// The query after `?`, without it; nil when there is none.
    public var query: Substring? {
        guard let q = target.firstIndex(of: "?") else { return nil }
        return target[target.index(after: q)...]
    }

    /// The first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first(where: { $0.name.caseInsensitiveEquals(name) })?.value
    }
}

/// One response. The body is shared, not copied, when the same bytes go to many clients.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Content-Length, Date and Connection are added by the server; don't set them (they are dropped, as are
    /// Transfer-Encoding and Keep-Alive). CR, LF and NUL in values become spaces.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Kept alive by the server until the body has been handed to the kernel (or the connection is gone), then
    /// released: its `deinit` tells the handler that this response no longer holds the body, so a handler
    /// sharing one large body among clients knows when the last send of it is over.
    public var bodyOwner: (any AnyObject & Sendable)?
    /// Not sent before this instant: the event loop holds the response on its timers (no thread waits), e.g. so
    /// that every failed login takes as long as the slowest. Nil or past: sent at once.
    public var notBefore: ContinuousClock.Instant?

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: Int, contentType: String, body: String, headers: [(name: String, value: String)] = []) {
        self.init(status: status, headers: [("Content-Type", contentType)] + headers, body: Array(body.utf8))
    }

    /// A plain-text response, for errors and probes.
    public static func text(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", body: text)
    }

    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 408: "Request Timeout"
        case 411: "Length Required"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }
}

extension String {
    /// ASCII case-insensitive comparison, without allocating (header names are ASCII).
    package func caseInsensitiveEquals(_ other: String) -> Bool {
        let a = utf8, b = other.utf8
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) where x != y {
            let lx = (x >= 0x41 && x <= 0x5A) ? x | 0x20 : x
            let ly = (y >= 0x41 && y <= 0x5A) ? y | 0x20 : y
            if lx != ly { return false }
        }
        return true
    }
}
