/// An incremental HTTP/1.x request parser: bytes go in as they arrive, in pieces of any size; complete requests
/// or one classified error come out. No socket code, so every rule is testable on bytes.
///
/// Rules (RFC 9112, strict where leniency enables request smuggling, lenient where clients are known to differ):
/// - bare LF line endings are accepted; a CR anywhere else is an error;
/// - up to `maxLeadingEmptyLines` empty lines before a request line are skipped;
/// - bodies only with `Content-Length` (several equal values tolerated); `Transfer-Encoding` is refused (501,
///   or 400 together with `Content-Length`);
/// - obsolete line folding, whitespace before a header's colon and control bytes in values are refused (400);
/// - an HTTP/1.1 request needs exactly one `Host` (RFC 9112 §3.2), any request at most one `Host` and at most one
///   `Authorization` (which of two credentials counts is ambiguous, so neither does): else 400;
/// - `HTTP/1.x` with x > 1 is served as `HTTP/1.1`; other versions get 505;
/// - an absolute-form target (`http://host/path?q`) is reduced to its origin form (`/path?q`), so routers see paths.
///
/// After an error the parser stays failed: the connection must be closed after the error response, since where
/// the next request would start is unknown.
public struct HTTPRequestParser: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Request line, without its line ending → 414.
        public var maxRequestLineBytes: Int
        /// Request line plus headers plus the empty line → 431.
        public var maxHeadBytes: Int
        /// Header fields → 431.
        public var maxHeaderCount: Int
        /// Declared `Content-Length` → 413.
        public var maxBodyBytes: Int

        public init(maxRequestLineBytes: Int = 8 * 1024, maxHeadBytes: Int = 16 * 1024,
                    maxHeaderCount: Int = 100, maxBodyBytes: Int = 64 * 1024) {
            self.maxRequestLineBytes = maxRequestLineBytes
            self.maxHeadBytes = maxHeadBytes
            self.maxHeaderCount = maxHeaderCount
            self.maxBodyBytes = maxBodyBytes
        }
    }

    /// RFC 9112 §2.2 asks servers to skip at least one; an endless stream of them is junk, not a request.
    public static let maxLeadingEmptyLines = 8

    public let limits: Limits

    private var buffer: [UInt8] = []
    /// First byte not yet consumed.
    private var start = 0
    /// Where the search for the next line end resumes (bytes before it hold no LF).
    private var scan = 0
    private var phase: Phase = .requestLine(emptyLines: 0)
    /// The request being assembled; meaningful in `.headers` and `.body`.
    private var head = Head()

    private enum Phase: Sendable {
        case requestLine(emptyLines: Int)
        case headers
        case body(length: Int)
        case failed(HTTPParseError)
    }

    private struct Head: Sendable {
        var method = ""
        var target = ""
        var version = ""
        var headers: [(name: String, value: String)] = []
        /// Index in `buffer` of the request line's first byte, to measure the head.
        var headStart = 0
        var contentLength: Int?
        var hasTransferEncoding = false
        var expectsContinue = false
        var hostCount = 0
        var authorizationCount = 0
    }

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Adds received bytes. Ignored once the parser has failed.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        if case .failed = phase { return }
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete request, or nil when more bytes are needed. Call until nil after each `append`.
    public mutating func next() throws(HTTPParseError) -> HTTPRequest? {
        if case .failed(let error) = phase { throw error }
        do {
            return try parseNext()
        } catch {
            phase = .failed(error)
            buffer = []
            start = 0
            scan = 0
            throw error
        }
    }

    /// Call at end of input: throws `.incompleteRequest` if it ended inside a request, or the earlier error.
    public mutating func finish() throws(HTTPParseError) {
        if case .failed(let error) = phase { throw error }
        if isMidRequest {
            phase = .failed(.incompleteRequest)
            throw .incompleteRequest
        }
    }

    /// Whether part of a request has arrived (bytes after the last complete request, empty lines aside).
    public var isMidRequest: Bool {
        switch phase {
        case .requestLine: buffer.count > start
        case .headers, .body: true
        case .failed: false
        }
    }

    /// Whether the head of the current request is complete and its body is still arriving.
    public var isReadingBody: Bool {
        if case .body = phase { return true }
        return false
    }

    /// Whether the client waits for `100 Continue` before sending the body it announced (HTTP/1.1 only).
    public var awaitsContinue: Bool {
        guard case .body(let length) = phase else { return false }
        return head.expectsContinue && head.version == "HTTP/1.1" && buffer.count - start < length
    }

    /// Bytes held that no returned request has consumed yet.
    public var bufferedByteCount: Int { buffer.count - start }

    // MARK: - Steps

    private mutating func parseNext() throws(HTTPParseError) -> HTTPRequest? {
        while true {
            switch phase {
            case .failed(let error):
                throw error
            case .requestLine(let emptyLines):
                // Look no further than a limit allows, so the outcome never depends on how bytes were split.
                let lineLimit = Self.adding(start, Self.adding(limits.maxRequestLineBytes, 2))
                let headLimit = Self.adding(start, limits.maxHeadBytes)
                let limit = min(lineLimit, headLimit)
                guard let lf = try findLineEnd(before: limit, rejectingControls: true) else {
                    guard buffer.count >= limit else { return nil }
                    if lineLimit <= headLimit { throw .requestLineTooLong(limit: limits.maxRequestLineBytes) }
                    throw .headTooLarge(limit: limits.maxHeadBytes)
                }
                let end = try lineContentEnd(lf: lf, lineStart: start)
                if end == start {
                    if emptyLines >= Self.maxLeadingEmptyLines { throw .malformedRequestLine }
                    phase = .requestLine(emptyLines: emptyLines + 1)
                    consume(through: lf)
                    continue
                }
                if end - start > limits.maxRequestLineBytes { throw .requestLineTooLong(limit: limits.maxRequestLineBytes) }
                head = Head()
                head.headStart = start
                try parseRequestLine(buffer[start..<end])
                phase = .headers
                consume(through: lf)
            case .headers:
                let limit = Self.adding(head.headStart, limits.maxHeadBytes)
                guard let lf = try findLineEnd(before: limit, rejectingControls: false) else {
                    guard buffer.count >= limit else { return nil }
                    throw .headTooLarge(limit: limits.maxHeadBytes)
                }
                let lineNumber = head.headers.count + 1
                let end = try lineContentEnd(lf: lf, lineStart: start, headerLine: lineNumber)
                if end == start {
                    consume(through: lf)
                    let length = try bodyLength()
                    try checkSingletonFields()
                    if length == 0 { return emit(body: []) }
                    phase = .body(length: length)
                    continue
                }
                if lineNumber > limits.maxHeaderCount { throw .tooManyHeaders(limit: limits.maxHeaderCount) }
                try parseHeaderLine(buffer[start..<end], lineNumber: lineNumber)
                consume(through: lf)
            case .body(let length):
                guard buffer.count - start >= length else { return nil }
                let body = Array(buffer[start..<(start + length)])
                start += length
                scan = start
                return emit(body: body)
            }
        }
    }

    private mutating func emit(body: [UInt8]) -> HTTPRequest {
        let request = HTTPRequest(method: head.method, target: head.target, version: head.version,
                                  headers: head.headers, body: body)
        head = Head()
        phase = .requestLine(emptyLines: 0)
        return request
    }

    private mutating func consume(through lf: Int) {
        start = lf + 1
        scan = start
    }

    /// Drops consumed bytes so the buffer does not grow across requests on a long-lived connection.
    private mutating func compact() {
        // In `.headers` the head's first byte is still needed to measure the head.
        let keepFrom: Int
        if case .headers = phase { keepFrom = head.headStart } else { keepFrom = start }
        guard keepFrom > 0 else { return }
        if keepFrom == buffer.count {
            // Don't keep a large body's capacity alive on an idle connection.
            if buffer.capacity > 32 * 1024 { buffer = [] } else { buffer.removeAll(keepingCapacity: true) }
        } else if keepFrom >= 4096 || keepFrom * 2 >= buffer.count {
            buffer.removeSubrange(0..<keepFrom)
        } else {
            return
        }
        start -= keepFrom
        scan -= keepFrom
        head.headStart -= min(head.headStart, keepFrom)
    }

    /// Index of the next LF at or after `scan` and before `limit`, or nil (and `scan` advanced) when none is there.
    /// In the request line, control bytes are refused as soon as they arrive: a TLS handshake or other binary
    /// junk is answered at once instead of waiting for a line end that never comes.
    private mutating func findLineEnd(before limit: Int, rejectingControls: Bool) throws(HTTPParseError) -> Int? {
        var index = scan
        let count = min(buffer.count, limit)
        var badByte = false
        let found: Int? = buffer.withUnsafeBufferPointer { bytes in
            while index < count {
                let byte = bytes[index]
                if byte == 0x0A { return index }
                if rejectingControls && ((byte < 0x20 && byte != 0x0D) || byte == 0x7F) {
                    badByte = true
                    return nil
                }
                index += 1
            }
            return nil
        }
        if badByte { throw .malformedRequestLine }
        scan = found ?? count
        return found
    }

    /// End of a line's content: before the CR of a CRLF, else at the LF. A CR anywhere else is refused.
    private func lineContentEnd(lf: Int, lineStart: Int, headerLine: Int? = nil) throws(HTTPParseError) -> Int {
        let end = (lf > lineStart && buffer[lf - 1] == 0x0D) ? lf - 1 : lf
        if buffer[lineStart..<end].contains(0x0D) {
            if let headerLine { throw .malformedHeader(line: headerLine) }
            throw .malformedRequestLine
        }
        return end
    }

    // MARK: - Grammar

    private mutating func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformedRequestLine }
        let method = parts[0], target = parts[1], version = parts[2]
        guard !method.isEmpty, method.allSatisfy(Self.isTokenByte) else { throw .malformedRequestLine }
        // Visible ASCII only: anything else must be percent-encoded.
        guard !target.isEmpty, target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .malformedRequestLine }
        head.method = String(decoding: method, as: UTF8.self)
        head.target = Self.originForm(String(decoding: target, as: UTF8.self))
        head.version = try Self.parseVersion(version)
    }

    /// `HTTP/1.0` or `HTTP/1.1` (also for 1.2 to 1.9, which a 1.1 server answers as 1.1).
    private static func parseVersion(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) -> String {
        let v = Array(bytes)
        guard v.count == 8, v[0] == 0x48, v[1] == 0x54, v[2] == 0x54, v[3] == 0x50, v[4] == 0x2F,
              isDigit(v[5]), v[6] == 0x2E, isDigit(v[7]) else { throw .malformedRequestLine }
        guard v[5] == 0x31 else { throw .unsupportedVersion }
        return v[7] == 0x30 ? "HTTP/1.0" : "HTTP/1.1"
    }

    /// `http://host:port/p?q` → `/p?q`; other forms unchanged.
    static func originForm(_ target: String) -> String {
        guard !target.hasPrefix("/") else { return target }
        let lower = target.prefix(8).lowercased()
        let schemeLength: Int
        if lower.hasPrefix("http://") { schemeLength = 7 } else if lower.hasPrefix("https://") { schemeLength = 8 } else {
            return target
        }
        let afterScheme = target.dropFirst(schemeLength)
        guard let pathStart = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        let rest = afterScheme[pathStart...]
        return rest.hasPrefix("?") ? "/" + rest : String(rest)
    }

    private mutating func parseHeaderLine(_ line: ArraySlice<UInt8>, lineNumber: Int) throws(HTTPParseError) {
        guard let colon = line.firstIndex(of: 0x3A) else { throw .malformedHeader(line: lineNumber) }
        let name = line[line.startIndex..<colon]
        // Also refuses obsolete line folding (a line starting with whitespace) and whitespace before the colon.
        guard !name.isEmpty, name.allSatisfy(Self.isTokenByte) else { throw .malformedHeader(line: lineNumber) }
        var value = line[(colon + 1)...]
        while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
        while let last = value.last, last == 0x20 || last == 0x09 { value = value.dropLast() }
        guard value.allSatisfy({ ($0 >= 0x20 || $0 == 0x09) && $0 != 0x7F }) else { throw .malformedHeader(line: lineNumber) }
        let nameText = String(decoding: name, as: UTF8.self)
        if nameText.caseInsensitiveEquals("Content-Length") {
            let length = try Self.parseContentLength(value)
            if let previous = head.contentLength, previous != length { throw .invalidContentLength }
            head.contentLength = length
        } else if nameText.caseInsensitiveEquals("Transfer-Encoding") {
            head.hasTransferEncoding = true
        } else if nameText.caseInsensitiveEquals("Expect") {
            head.expectsContinue = String(decoding: value, as: UTF8.self).caseInsensitiveEquals("100-continue")
        } else if nameText.caseInsensitiveEquals("Host") {
            head.hostCount += 1
        } else if nameText.caseInsensitiveEquals("Authorization") {
            head.authorizationCount += 1
        }
        head.headers.append((name: nameText, value: String(decoding: value, as: UTF8.self)))
    }

    /// One number, or a list of equal numbers (`5, 5`) as some proxies send; saturates instead of overflowing,
    /// since any huge value is simply too large.
    private static func parseContentLength(_ value: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        var result: Int?
        for element in value.split(separator: 0x2C, omittingEmptySubsequences: false) {
            var digits = element[...]
            while let first = digits.first, first == 0x20 || first == 0x09 { digits = digits.dropFirst() }
            while let last = digits.last, last == 0x20 || last == 0x09 { digits = digits.dropLast() }
            guard !digits.isEmpty, digits.allSatisfy(isDigit) else { throw .invalidContentLength }
            var number = 0
            for digit in digits {
                let (times10, o1) = number.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int(digit - 0x30))
                number = (o1 || o2) ? Int.max : sum
            }
            if let result, result != number { throw .invalidContentLength }
            result = number
        }
        guard let result else { throw .invalidContentLength }
        return result
    }

    /// Checked once the head is complete, so the outcome never depends on where the bytes were split.
    private func checkSingletonFields() throws(HTTPParseError) {
        if head.hostCount > 1 { throw .repeatedHeader(name: "Host") }
        if head.hostCount == 0 && head.version == "HTTP/1.1" { throw .missingHost }
        if head.authorizationCount > 1 { throw .repeatedHeader(name: "Authorization") }
    }

    private func bodyLength() throws(HTTPParseError) -> Int {
        if head.hasTransferEncoding {
            throw head.contentLength == nil ? .transferEncodingNotSupported : .contentLengthWithTransferEncoding
        }
        let length = head.contentLength ?? 0
        if length > limits.maxBodyBytes { throw .bodyTooLarge(limit: limits.maxBodyBytes) }
        return length
    }

    /// Limits may be set huge to mean "none": add without trapping.
    private static func adding(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// RFC 9110 `tchar`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: true
        default: false
        }
    }
}
