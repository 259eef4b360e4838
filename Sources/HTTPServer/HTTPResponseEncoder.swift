/// Serializes a handler's response head. The body is never copied: the caller sends `body` from the response
/// itself, so one rendered /metrics buffer serves every client.
enum HTTPResponseEncoder {
    /// Set by the server only; a handler's own copies are dropped so they cannot contradict the framing.
    private static let reservedNames = ["Content-Length", "Date", "Connection", "Transfer-Encoding", "Keep-Alive"]

    struct Encoded {
        var head: [UInt8]
        /// Empty for HEAD, 204 and 304.
        var body: [UInt8]
    }

    /// - Parameters:
    ///   - headRequest: the request was HEAD: announce the length, send no body.
    ///   - close: the server closes after this response.
    ///   - http10KeepAlive: an HTTP/1.0 client asked to keep the connection, which must be confirmed.
    static func encode(_ response: HTTPResponse, headRequest: Bool, close: Bool, http10KeepAlive: Bool,
                       date: String) -> Encoded {
        // 1xx would promise a protocol switch or a second response that never comes; anything outside
        // three digits is not a status at all. Either is a handler bug: answer 500 rather than garbage.
        let valid = (200...999).contains(response.status)
        let status = valid ? response.status : 500
        let headers = valid ? response.headers : [("Content-Type", "text/plain; charset=utf-8")]
        let body = valid ? response.body : Array("handler returned an invalid status\n".utf8)

        var text = "HTTP/1.1 \(status) \(HTTPResponse.reasonPhrase(status))\r\n"
        for (name, value) in headers {
            guard !name.isEmpty, name.utf8.allSatisfy(HTTPRequestParser.isTokenByte),
                  !reservedNames.contains(where: { $0.caseInsensitiveEquals(name) }) else { continue }
            text += "\(name): \(sanitized(value))\r\n"
        }
        let bodyAllowed = status != 204 && status != 304
        if bodyAllowed { text += "Content-Length: \(body.count)\r\n" }
        text += "Date: \(date)\r\n"
        if close {
            text += "Connection: close\r\n"
        } else if http10KeepAlive {
            text += "Connection: keep-alive\r\n"
        }
        text += "\r\n"
        return Encoded(head: Array(text.utf8), body: bodyAllowed && !headRequest ? body : [])
    }

    /// Line breaks and NUL in a value would let a handler echoing input split the response: replaced by spaces.
    private static func sanitized(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else { return value }
        return String(decoding: value.utf8.map { $0 == 0x0D || $0 == 0x0A || $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }
}
