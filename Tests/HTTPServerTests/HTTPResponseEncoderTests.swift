import Testing
@testable import HTTPServer

@Suite struct HTTPResponseEncoderTests {
    func encode(_ response: HTTPResponse, head: Bool = false, close: Bool = false,
                http10KeepAlive: Bool = false) -> (head: String, body: [UInt8]) {
        let encoded = HTTPResponseEncoder.encode(response, headRequest: head, close: close,
                                                 http10KeepAlive: http10KeepAlive, date: "DATE")
        return (String(decoding: encoded.head, as: UTF8.self), encoded.body)
    }

    @Test func addsFramingAndDropsTheHandlersOwn() {
        let response = HTTPResponse(status: 200, headers: [
            ("Content-Type", "text/plain"), ("content-length", "999"), ("Connection", "keep-alive"),
            ("Transfer-Encoding", "chunked"), ("Date", "yesterday"), ("X-A", "1"),
        ], body: Array("abc".utf8))
        let encoded = encode(response, close: true)
        #expect(encoded.head == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A: 1\r\nContent-Length: 3\r\n"
            + "Date: DATE\r\nConnection: close\r\n\r\n")
        #expect(encoded.body == Array("abc".utf8))
    }

    @Test func refusesToLetAHandlerSplitTheResponse() {
        let response = HTTPResponse(status: 302, headers: [
            ("Location", "/x\r\nSet-Cookie: evil=1"), ("Bad Name", "v"), ("", "v"), ("X-Nul", "a\u{0}b"),
        ])
        let head = encode(response).head
        #expect(head == "HTTP/1.1 302 Found\r\nLocation: /x  Set-Cookie: evil=1\r\nX-Nul: a b\r\n"
            + "Content-Length: 0\r\nDate: DATE\r\n\r\n")
    }

    @Test func sendsNoBodyForHeadAnd204And304() {
        let head = encode(.text(200, "hello"), head: true)
        #expect(head.head.contains("Content-Length: 5\r\n"))
        #expect(head.body.isEmpty)
        for status in [204, 304] {
            let encoded = encode(HTTPResponse(status: status, body: Array("x".utf8)))
            #expect(!encoded.head.contains("Content-Length"))
            #expect(encoded.body.isEmpty)
        }
    }

    @Test func turnsAnInvalidStatusInto500() {
        for status in [0, 101, 99, 1000] {
            let encoded = encode(HTTPResponse(status: status, body: Array("secret".utf8)))
            #expect(encoded.head.hasPrefix("HTTP/1.1 500 Internal Server Error\r\n"), "\(status)")
            #expect(!String(decoding: encoded.body, as: UTF8.self).contains("secret"))
        }
        #expect(encode(HTTPResponse(status: 599)).head.hasPrefix("HTTP/1.1 599 Status 599\r\n"))
    }

    @Test func confirmsHTTP10KeepAlive() {
        #expect(encode(.text(200, ""), http10KeepAlive: true).head.contains("Connection: keep-alive\r\n"))
    }

    @Test func formatsDates() {
        #expect(HTTPDate.format(secondsSinceEpoch: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(secondsSinceEpoch: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(secondsSinceEpoch: 1_709_251_199) == "Thu, 29 Feb 2024 23:59:59 GMT")
    }
}
