/// Why a request could not be parsed, classified by the status the server answers with.
///
/// Descriptions name the part of the request at fault and the limit crossed, never request data: a header value
/// may be a credential.
public enum HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The request line is not `method SP target SP HTTP/x.y`, or holds a forbidden byte.
    case malformedRequestLine
    /// The request line is longer than the limit (bytes, without its line ending).
    case requestLineTooLong(limit: Int)
    /// A well-formed version other than HTTP/1.x.
    case unsupportedVersion
    /// Header line `line` (1 = the first after the request line) is malformed.
    case malformedHeader(line: Int)
    /// The request line and headers together are longer than the limit (bytes).
    case headTooLarge(limit: Int)
    /// More header fields than the limit.
    case tooManyHeaders(limit: Int)
    /// `Content-Length` is not a decimal number, or several disagree.
    case invalidContentLength
    /// Both `Content-Length` and `Transfer-Encoding`: a request-smuggling vector, refused.
    case contentLengthWithTransferEncoding
    /// Bodies are only accepted with `Content-Length`.
    case transferEncodingNotSupported
    /// The declared body is longer than the limit (bytes).
    case bodyTooLarge(limit: Int)
    /// The input ended inside a request.
    case incompleteRequest
    /// An HTTP/1.1 request without a `Host` header field.
    case missingHost
    /// A header field that may appear once appeared more often; `name` is the field's canonical name
    /// (`Host`, `Authorization`), never request data.
    case repeatedHeader(name: String)

    /// The status to answer with.
    public var status: Int {
        switch self {
        case .malformedRequestLine, .malformedHeader, .invalidContentLength,
             .contentLengthWithTransferEncoding, .incompleteRequest, .missingHost, .repeatedHeader: 400
        case .requestLineTooLong: 414
        case .unsupportedVersion: 505
        case .headTooLarge, .tooManyHeaders: 431
        case .transferEncodingNotSupported: 501
        case .bodyTooLarge: 413
        }
    }

    public var description: String {
        switch self {
        case .malformedRequestLine: "malformed request line"
        case .requestLineTooLong(let limit): "request line longer than \(limit) bytes"
        case .unsupportedVersion: "HTTP version not supported (HTTP/1.0 and HTTP/1.1 are)"
        case .malformedHeader(let line): "malformed header field on header line \(line)"
        case .headTooLarge(let limit): "request head larger than \(limit) bytes"
        case .tooManyHeaders(let limit): "more than \(limit) header fields"
        case .invalidContentLength: "invalid Content-Length"
        case .contentLengthWithTransferEncoding: "both Content-Length and Transfer-Encoding"
        case .transferEncodingNotSupported: "Transfer-Encoding not supported on requests; send Content-Length"
        case .bodyTooLarge(let limit): "request body larger than \(limit) bytes"
        case .incompleteRequest: "connection ended inside a request"
        case .missingHost: "HTTP/1.1 request without a Host header field; send exactly one"
        case .repeatedHeader(let name): "more than one \(name) header field; send exactly one"
        }
    }
}
