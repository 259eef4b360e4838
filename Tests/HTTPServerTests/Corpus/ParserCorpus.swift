/// Interesting requests: replayed with their expected outcome, and the seeds the random test mutates.
/// Kept as Swift source because Package.swift declares no resources (a data file would warn as unhandled).
/// Add a case whenever a bug is found; `bytes` is exactly what goes on the wire.
enum ParserCorpus {
    enum Expected: Equatable {
        /// This many requests, then a clean end.
        case requests(Int)
        /// Any requests, then this status.
        case error(status: Int)
    }

    struct Entry {
        let name: String
        let bytes: [UInt8]
        let expected: Expected

        init(_ name: String, _ text: String, _ expected: Expected) {
            self.init(name, Array(text.utf8), expected)
        }

        init(_ name: String, _ bytes: [UInt8], _ expected: Expected) {
            self.name = name
            self.bytes = bytes
            self.expected = expected
        }
    }

    static let entries: [Entry] = [
        Entry("prometheus scrape", """
            GET /metrics HTTP/1.1\r
            Host: 127.0.0.1:9464\r
            User-Agent: Prometheus/2.53.0\r
            Accept: application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1\r
            Accept-Encoding: gzip\r
            X-Prometheus-Scrape-Timeout-Seconds: 10\r
            \r

            """, .requests(1)),
        Entry("curl HEAD", "HEAD / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n", .requests(1)),
        Entry("POST with body", "POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world", .requests(1)),
        Entry("pipelined three", "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n", .requests(3)),
        Entry("bare LF", "GET / HTTP/1.1\nHost: a\n\n", .requests(1)),
        Entry("leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", .requests(1)),
        Entry("CRLF after a body", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", .requests(2)),
        Entry("HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", .requests(1)),
        Entry("absolute form", "GET http://example.com:9464/metrics HTTP/1.1\r\nHost: x\r\n\r\n", .requests(1)),
        Entry("OPTIONS asterisk", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", .requests(1)),
        Entry("CONNECT authority form", "CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n", .requests(1)),
        Entry("empty header value", "GET / HTTP/1.1\r\nHost: x\r\nX-Empty:\r\nY:   \r\n\r\n", .requests(1)),
        Entry("lower-case method is a token", "get / HTTP/1.1\r\nHost: x\r\n\r\n", .requests(1)),
        Entry("equal Content-Length list", "PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc", .requests(1)),
        Entry("HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", .requests(1)),
        Entry("empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", .requests(1)),
        Entry("HTTP/1.1 without Host", "GET /metrics HTTP/1.1\r\nAccept: */*\r\n\r\n", .error(status: 400)),
        Entry("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", .error(status: 400)),
        Entry("two Hosts in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", .error(status: 400)),
        Entry("two Authorizations", "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic YTpi\r\nAUTHORIZATION: Basic Yzpk\r\n\r\n",
              .error(status: 400)),
        Entry("pipelined, the second without Host", "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
              .error(status: 400)),
        Entry("CL.TE smuggling", """
            POST / HTTP/1.1\r
            Content-Length: 13\r
            Transfer-Encoding: chunked\r
            \r
            0\r
            \r
            SMUGGLED
            """, .error(status: 400)),
        Entry("TE.CL smuggling", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n",
              .error(status: 400)),
        Entry("chunked body", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", .error(status: 501)),
        Entry("differing Content-Lengths", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
              .error(status: 400)),
        Entry("negative Content-Length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", .error(status: 400)),
        Entry("body over the limit", "POST / HTTP/1.1\r\nContent-Length: 70000\r\n\r\n", .error(status: 413)),
        Entry("obsolete line folding", "GET / HTTP/1.1\r\nX-A: 1\r\n  2\r\n\r\n", .error(status: 400)),
        Entry("space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", .error(status: 400)),
        Entry("NUL in a value", Array("GET / HTTP/1.1\r\nX: a".utf8) + [0] + Array("b\r\n\r\n".utf8), .error(status: 400)),
        Entry("bare CR in a value", "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", .error(status: 400)),
        Entry("TLS ClientHello", [0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 0x00, 0xA1, 0x03, 0x03, 0x0A, 0x0D], .error(status: 400)),
        Entry("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", .error(status: 505)),
        Entry("HTTP/0.9", "GET /\r\n", .error(status: 400)),
        Entry("request line over 8 KiB", "GET /" + String(repeating: "a", count: 8200) + " HTTP/1.1\r\n\r\n", .error(status: 414)),
        Entry("head over 16 KiB", "GET / HTTP/1.1\r\n" + String(repeating: "X-Pad: " + String(repeating: "p", count: 1000) + "\r\n",
                                                              count: 17) + "\r\n", .error(status: 431)),
        Entry("101 headers", "GET / HTTP/1.1\r\n" + (0...100).map { "H\($0): v\r\n" }.joined() + "\r\n", .error(status: 431)),
        Entry("truncated head", "GET / HTTP/1.1\r\nHost: a\r\n", .error(status: 400)),
        Entry("truncated body", "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", .error(status: 400)),
        Entry("request after a bad one is not reached", "GET / HTTP/9.9\r\n\r\nGET / HTTP/1.1\r\n\r\n", .error(status: 505)),
    ]
}
