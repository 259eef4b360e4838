import Testing
@testable import HTTPServer

@Suite struct HTTPRequestParserTests {
    @Test func parsesASimpleGet() throws {
        let outcome = ParseOutcome.of("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept:  text/plain \r\n\r\n")
        #expect(outcome == ParseOutcome(requests: [
            RequestSummary("GET", "/metrics?x=1", headers: ["Host: a", "Accept: text/plain"]),
        ]))
    }

    @Test func toleratesBareLF() {
        let outcome = ParseOutcome.of("GET / HTTP/1.1\nHost: a\n\nPOST /p HTTP/1.1\r\nHost: b\r\nContent-Length: 2\n\r\nok")
        #expect(outcome == ParseOutcome(requests: [
            RequestSummary("GET", "/", headers: ["Host: a"]),
            RequestSummary("POST", "/p", headers: ["Host: b", "Content-Length: 2"], body: "ok"),
        ]))
    }

    @Test func answersPipelinedRequestsInOrder() {
        let outcome = ParseOutcome.of(
            "GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /c HTTP/1.0\r\n\r\n")
        #expect(outcome.requests.map(\.target) == ["/a", "/b", "/c"])
        #expect(outcome.requests[1].body == Array("hello".utf8))
        #expect(outcome.requests[2].version == "HTTP/1.0")
        #expect(outcome.error == nil)
    }

    /// The same bytes give the same requests however the network splits them.
    @Test(arguments: [
        "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
        "\r\nGET /x HTTP/1.1\nA: b\nHost: h\n\n",
        "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /q HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic eA==\r\nAuthorization: Basic eQ==\r\n\r\n",
        "HEAD /h HTTP/1.0\r\nX: 1\r\nY:\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
    ])
    func givesTheSameOutcomeAtEverySplit(_ text: String) {
        let input = Array(text.utf8)
        let whole = ParseOutcome.of(input)
        for cut in 0...input.count {
            #expect(ParseOutcome.of(input, cuts: [cut]) == whole, "split at \(cut)")
        }
        #expect(ParseOutcome.of(input, cuts: Array(0..<input.count)) == whole, "byte by byte")
    }

    @Test func skipsAFewEmptyLinesBeforeARequestButNotEndlessly() {
        #expect(ParseOutcome.of("\r\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n").requests.count == 1)
        let many = String(repeating: "\r\n", count: HTTPRequestParser.maxLeadingEmptyLines + 1) + "GET / HTTP/1.1\r\n\r\n"
        #expect(ParseOutcome.of(many).error == .malformedRequestLine)
    }

    @Test func limitsTheRequestLine() {
        let limits = HTTPRequestParser.Limits(maxRequestLineBytes: 100)
        let fits = "GET /" + String(repeating: "a", count: 100 - 14) + " HTTP/1.1"
        #expect(fits.utf8.count == 100)
        #expect(ParseOutcome.of(fits + "\r\nHost: h\r\n\r\n", limits: limits).requests.count == 1)
        let tooLong = "GET /" + String(repeating: "a", count: 101 - 14) + " HTTP/1.1\r\n\r\n"
        #expect(ParseOutcome.of(tooLong, limits: limits).error == .requestLineTooLong(limit: 100))
        #expect(HTTPParseError.requestLineTooLong(limit: 100).status == 414)
    }

    @Test func refusesAnOverlongRequestLineBeforeItsEnd() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("GET /".utf8) + [UInt8](repeating: 0x61, count: 9000))
        #expect(throws: HTTPParseError.requestLineTooLong(limit: 8192)) { try parser.next() }
        // Failed stays failed.
        parser.append(Array(" HTTP/1.1\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.requestLineTooLong(limit: 8192)) { try parser.next() }
    }

    @Test func limitsTheHead() {
        let limits = HTTPRequestParser.Limits(maxHeadBytes: 200)
        let opening = "GET / HTTP/1.1\r\nHost: h\r\n"
        let header = "X: " + String(repeating: "v", count: 200 - opening.utf8.count - 2 - 5) + "\r\n"
        let exact = opening + header + "\r\n"
        #expect(exact.utf8.count == 200)
        #expect(ParseOutcome.of(exact, limits: limits).requests.count == 1)
        let over = opening + "Y: 1" + header + "\r\n"
        #expect(ParseOutcome.of(over, limits: limits).error == .headTooLarge(limit: 200))
        // Without the end of the head, as soon as the limit is crossed.
        var parser = HTTPRequestParser(limits: limits)
        parser.append(Array((opening + "X: " + String(repeating: "v", count: 300)).utf8))
        #expect(throws: HTTPParseError.headTooLarge(limit: 200)) { try parser.next() }
        #expect(HTTPParseError.headTooLarge(limit: 1).status == 431)
    }

    @Test func limitsTheHeaderCount() {
        let limits = HTTPRequestParser.Limits(maxHeaderCount: 3)
        let three = "GET / HTTP/1.1\r\nHost: h\r\nB: 2\r\nC: 3\r\n\r\n"
        #expect(ParseOutcome.of(three, limits: limits).requests.first?.headers.count == 3)
        let four = "GET / HTTP/1.1\r\nHost: h\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"
        #expect(ParseOutcome.of(four, limits: limits).error == .tooManyHeaders(limit: 3))
        #expect(HTTPParseError.tooManyHeaders(limit: 3).status == 431)
    }

    @Test func limitsTheBodyBeforeReadingIt() throws {
        let limits = HTTPRequestParser.Limits(maxBodyBytes: 10)
        #expect(ParseOutcome.of("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", limits: limits)
            .requests.first?.body.count == 10)
        var parser = HTTPRequestParser(limits: limits)
        parser.append(Array("PUT / HTTP/1.1\r\nContent-Length: 11\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.bodyTooLarge(limit: 10)) { try parser.next() }
        let huge = "PUT / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"
        #expect(ParseOutcome.of(huge, limits: limits).error == .bodyTooLarge(limit: 10))
        #expect(HTTPParseError.bodyTooLarge(limit: 10).status == 413)
    }

    @Test func waitsForTheWholeBody() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab".utf8))
        #expect(try parser.next() == nil)
        #expect(parser.isReadingBody)
        #expect(parser.isMidRequest)
        parser.append(Array("cd".utf8))
        #expect(try parser.next()?.body == Array("abcd".utf8))
        #expect(!parser.isMidRequest)
        #expect(try parser.next() == nil)
    }

    @Test func refusesTransferEncoding() {
        #expect(ParseOutcome.of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").error
            == .transferEncodingNotSupported)
        #expect(HTTPParseError.transferEncodingNotSupported.status == 501)
        let both = "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(ParseOutcome.of(both).error == .contentLengthWithTransferEncoding)
        let bothReversed = "POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\ncontent-length: 5\r\n\r\n"
        #expect(ParseOutcome.of(bothReversed).error == .contentLengthWithTransferEncoding)
        #expect(HTTPParseError.contentLengthWithTransferEncoding.status == 400)
    }

    @Test(arguments: ["abc", "-1", "+5", "", "1 2", "5, 6", "0x10", "5,", "５"])
    func refusesAnInvalidContentLength(_ value: String) {
        let outcome = ParseOutcome.of("POST / HTTP/1.1\r\nContent-Length: \(value)\r\n\r\n")
        #expect(outcome.error == .invalidContentLength)
        #expect(HTTPParseError.invalidContentLength.status == 400)
    }

    @Test func acceptsRepeatedEqualContentLengths() {
        #expect(ParseOutcome.of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\n\r\nok").requests.first?.body.count == 2)
        #expect(ParseOutcome.of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok").requests.count == 1)
        #expect(ParseOutcome.of("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok").error
            == .invalidContentLength)
    }

    @Test func handlesVersions() {
        #expect(ParseOutcome.of("GET / HTTP/1.0\r\n\r\n").requests.first?.version == "HTTP/1.0")
        #expect(ParseOutcome.of("GET / HTTP/1.2\r\nHost: h\r\n\r\n").requests.first?.version == "HTTP/1.1")
        #expect(ParseOutcome.of("GET / HTTP/2.0\r\n\r\n").error == .unsupportedVersion)
        #expect(ParseOutcome.of("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").error == .unsupportedVersion)
        #expect(ParseOutcome.of("GET / HTTP/0.9\r\n\r\n").error == .unsupportedVersion)
        #expect(HTTPParseError.unsupportedVersion.status == 505)
        for bad in ["GET / HTTP/1\r\n\r\n", "GET / http/1.1\r\n\r\n", "GET /\r\n\r\n", "GET / HTTP/1.10\r\n\r\n"] {
            #expect(ParseOutcome.of(bad).error == .malformedRequestLine, "\(bad)")
        }
    }

    @Test(arguments: [
        "GET  / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1 \r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n",
        "GET /a\u{7F} HTTP/1.1\r\n\r\n",
        "GET /é HTTP/1.1\r\n\r\n",
        "GET\t/ HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\r\n\r\n",
        "GET /\r HTTP/1.1\r\n\r\n",
    ])
    func refusesAMalformedRequestLine(_ text: String) {
        #expect(ParseOutcome.of(text).error == .malformedRequestLine)
    }

    @Test func refusesBinaryJunkAtOnce() throws {
        // The start of a TLS ClientHello: no line end will ever come.
        var parser = HTTPRequestParser()
        parser.append([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03])
        #expect(throws: HTTPParseError.malformedRequestLine) { try parser.next() }
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n", 2),
        ("GET / HTTP/1.1\r\n leading: x\r\n\r\n", 1),
        ("GET / HTTP/1.1\r\nName : x\r\n\r\n", 1),
        ("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 1),
        ("GET / HTTP/1.1\r\n: empty\r\n\r\n", 1),
        ("GET / HTTP/1.1\r\nA: 1\r\nB: x\ry\r\n\r\n", 2),
        ("GET / HTTP/1.1\r\nA: x\u{0}y\r\n\r\n", 1),
        ("GET / HTTP/1.1\r\nA: x\u{7F}\r\n\r\n", 1),
        ("GET / HTTP/1.1\r\nA(b): x\r\n\r\n", 1),
    ])
    func refusesAMalformedHeader(_ text: String, line: Int) {
        #expect(ParseOutcome.of(text).error == .malformedHeader(line: line))
    }

    @Test func keepsHeaderValuesWithTabsAndHighBytes() {
        let outcome = ParseOutcome.of(Array("GET / HTTP/1.0\r\nA: x\ty\r\nB: ".utf8) + [0xC3, 0xA9] + Array("\r\n\r\n".utf8))
        #expect(outcome.requests.first?.headers == ["A: x\ty", "B: é"])
    }

    @Test func reducesAbsoluteFormTargets() {
        #expect(HTTPRequestParser.originForm("http://h:9464/metrics?x=1") == "/metrics?x=1")
        #expect(HTTPRequestParser.originForm("HTTPS://h") == "/")
        #expect(HTTPRequestParser.originForm("http://h?q") == "/?q")
        #expect(HTTPRequestParser.originForm("/a") == "/a")
        #expect(HTTPRequestParser.originForm("*") == "*")
        #expect(HTTPRequestParser.originForm("example.com:443") == "example.com:443")
        #expect(ParseOutcome.of("GET http://h/m HTTP/1.1\r\nHost: h\r\n\r\n").requests.first?.target == "/m")
    }

    @Test func reportsAnIncompleteRequestAtTheEnd() throws {
        #expect(ParseOutcome.of("GET / HTTP/1.1\r\nHost: a\r\n").error == .incompleteRequest)
        #expect(ParseOutcome.of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nab").error == .incompleteRequest)
        #expect(ParseOutcome.of("GET / HTTP/1.1\r\nHost: a\r\n\r\n\r\n")
            == ParseOutcome(requests: [RequestSummary("GET", "/", headers: ["Host: a"])]))
        var parser = HTTPRequestParser()
        try parser.finish()
    }

    @Test func decidesKeepAlive() {
        func request(_ version: String, _ connection: [String]) -> HTTPRequest {
            HTTPRequest(method: "GET", target: "/", version: version, headers: connection.map { ("Connection", $0) })
        }
        #expect(request("HTTP/1.1", []).keepAlive)
        #expect(!request("HTTP/1.1", ["close"]).keepAlive)
        #expect(!request("HTTP/1.1", ["Upgrade, Close"]).keepAlive)
        #expect(!request("HTTP/1.1", ["keep-alive", "close"]).keepAlive)
        #expect(!request("HTTP/1.0", []).keepAlive)
        #expect(request("HTTP/1.0", ["Keep-Alive"]).keepAlive)
    }

    /// RFC 9112 §3.2: an HTTP/1.1 request names its host exactly once; two credentials leave unclear which counts.
    @Test func requiresOneHostAndAtMostOneAuthorization() {
        #expect(ParseOutcome.of("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n").error == .missingHost)
        #expect(ParseOutcome.of("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n").error == .repeatedHeader(name: "Host"))
        #expect(ParseOutcome.of("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n").error == .repeatedHeader(name: "Host"))
        let twoCredentials = "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer s3cr3t\r\nauthorization: Basic eDp5\r\n\r\n"
        let outcome = ParseOutcome.of(twoCredentials)
        #expect(outcome.requests.isEmpty)
        #expect(outcome.error == .repeatedHeader(name: "Authorization"))
        #expect(!String(describing: outcome.error!).contains("s3cr3t"))
        for error in [HTTPParseError.missingHost, .repeatedHeader(name: "Host")] { #expect(error.status == 400) }
        // HTTP/1.0 predates Host; an empty Host is allowed when the target has no authority.
        #expect(ParseOutcome.of("GET / HTTP/1.0\r\n\r\n").requests.count == 1)
        #expect(ParseOutcome.of("GET / HTTP/1.1\r\nHost:\r\n\r\n").requests.count == 1)
        #expect(ParseOutcome.of("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic eDp5\r\n\r\n").requests.count == 1)
        // A pipelined request without Host fails after the one before it was served.
        let pipelined = ParseOutcome.of("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\n\r\n")
        #expect(pipelined.requests.map(\.target) == ["/a"])
        #expect(pipelined.error == .missingHost)
    }

    @Test func errorDescriptionsCarryNoRequestData() {
        let text = "GET / HTTP/1.1\r\nAuthorization: Bearer s3cr3t\r\nBad Name: s3cr3t\r\n\r\n"
        let outcome = ParseOutcome.of(text)
        #expect(outcome.error == .malformedHeader(line: 2))
        #expect(!String(describing: outcome.error!).contains("s3cr3t"))
    }
}
