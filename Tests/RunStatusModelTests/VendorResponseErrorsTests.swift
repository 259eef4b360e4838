import Testing
@testable import RunStatusModel

/// The classification every adapter shares: status to reason, wait hints, message hygiene.
@Suite struct VendorResponseErrorsTests {
    @Test func statusToReason() {
        let table: [(Int, PollErrorReason)] = [
            (400, .badRequest), (401, .unauthorized), (403, .forbidden), (404, .notFound), (405, .badRequest),
            (409, .badRequest), (412, .badRequest), (422, .badRequest), (429, .rateLimited), (499, .badRequest),
            (500, .serverError), (502, .serverError), (503, .serverError), (504, .serverError), (599, .serverError),
            (100, .decode), (304, .decode), (0, .decode), (600, .decode), (-1, .decode),
            (301, .redirect), (302, .redirect), (303, .redirect), (307, .redirect), (308, .redirect),
        ]
        for (status, reason) in table {
            #expect(VendorResponse.reason(forStatus: status) == reason, "\(status)")
        }
    }

    @Test func unexpectedStatusesAreNamed() throws {
        let e = try failed(WESAdapter().decodeStatus(answer(304, ""), runID: "r1", context: utc))
        #expect(e == PollError(.decode, "run r1: unexpected HTTP status 304: no error text in the answer", status: 304))
    }

    @Test func aRedirectNotFollowedSaysWhatToFixWithoutWhereItPoints() throws {
        let e = try failed(WESAdapter().decodeStatus(answer(302, "", headers: ["Location": "https://user:pw@elsewhere.example/x"]),
                                                     runID: "r1", context: utc))
        #expect(e.reason == .redirect && e.status == 302)
        #expect(e.message.contains("set the target's url"))
        #expect(!e.message.contains("elsewhere") && !e.message.contains("pw"))
    }

    @Test func retryAfterSecondsOrDate() {
        func wait(_ value: String) -> Double? { answer(429, "", headers: ["Retry-After": value]).retryAfter(now: testNow) }
        #expect(wait("120") == 120)
        #expect(wait(" 0 ") == 0)
        #expect(wait("1.5") == 1.5)
        #expect(wait("Thu, 15 Jan 2026 10:02:00 GMT") == 120)
        #expect(wait("Thursday, 15-Jan-26 10:02:00 GMT") == 120)
        #expect(wait("Thu Jan 15 10:02:00 2026") == 120)
        #expect(wait("Wed, 14 Jan 2026 10:00:00 GMT") == 0)  // already past
        #expect(wait("99999999999999999999") == VendorResponse.longestWait)
        #expect(wait("-5") == nil)
        #expect(wait("soon") == nil)
        #expect(wait("inf") == nil)
        #expect(answer(429, "").retryAfter(now: testNow) == nil)
    }

    @Test func messagesAreCleanedBoundedAndHideCredentials() {
        #expect(PollError.cleaned("a\n\tb\u{0}c   d", limit: 100) == "a b c d")
        #expect(PollError.cleaned(String(repeating: "x", count: 500), limit: 10) == "xxxxxxxxx…")
        #expect(PollError.cleaned("header Authorization: Bearer abc.def was refused", limit: 100)
            == "header Authorization: [redacted] [redacted] was refused")
        #expect(PollError.cleaned("X-SBG-Auth-Token: 55e9691c111146bd384c5ec40a9f97fb1 invalid", limit: 100)
            == "X-SBG-Auth-Token: [redacted] invalid")
        #expect(PollError.cleaned("url ?cmd=loginUser&password=hunter2 failed", limit: 100) == "url [redacted] failed")
        // Plain prose about tokens is kept.
        #expect(PollError.cleaned("The token is not valid", limit: 100) == "The token is not valid")
    }

    @Test func runIDsInMessagesAreBounded() throws {
        let id = String(repeating: "r", count: 1_000)
        let e = try failed(InstabaseAdapter().decodeStatus(answer(200, "{}"), runID: id, context: utc))
        #expect(e.message.count <= PollError.messageLimit)
        #expect(e.message.contains(#"field "status" is missing"#))
    }

    @Test func htmlTextDecodesEntitiesAndSkipsScripts() {
        let page = Array("<html><head><script>var x = '<b>';</script><title>T</title></head><body class=x>Fish &amp; chips &lt;3 &#39;q&#x27; &bogus; <script>alert(1)</script><p>end</p></body></html>".utf8)
        #expect(HTMLText.extract(page) == "Fish & chips <3 'q' &bogus; end")
        #expect(HTMLText.extract(Array("<h1>502 Bad Gateway</h1><hr>nginx".utf8)) == "502 Bad Gateway nginx")
    }
}
