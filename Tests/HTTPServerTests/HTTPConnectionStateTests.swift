import Testing
@testable import HTTPServer

/// The per-connection protocol, driven by hand with an injected clock: deadlines are tested without waiting.
@Suite struct HTTPConnectionStateTests {
    typealias State = HTTPConnectionState
    let start = ContinuousClock.now

    var settings: State.Settings {
        var settings = State.Settings()
        settings.headTimeout = .seconds(1)
        settings.bodyTimeout = .seconds(1)
        settings.idleTimeout = .seconds(5)
        settings.writeTimeout = .seconds(2)
        settings.lingerTimeout = .seconds(1)
        settings.lingerMaxBytes = 10
        return settings
    }

    func at(_ milliseconds: Int) -> State.Moment {
        State.Moment(instant: start + .milliseconds(milliseconds), httpDate: "Sun, 06 Nov 1994 08:49:37 GMT")
    }

    func fresh() -> State { State(settings: settings, now: start) }

    /// Actions as comparable text.
    func show(_ action: State.Action) -> String {
        switch action {
        case .none: "none"
        case .dispatch(let request): "dispatch \(request.method) \(request.target)"
        case .send: "send"
        case .sendError(let status): "error \(status)"
        case .sendInterim(let bytes): "interim \(String(decoding: bytes, as: UTF8.self))"
        case .shutdownOutput: "shutdown"
        case .close: "close"
        }
    }

    func outputText(_ state: State) -> String {
        guard let output = state.output else { return "" }
        return String(decoding: output.head + output.body, as: UTF8.self)
    }

    /// Sends all pending output at `time`.
    func sendAll(_ state: inout State, at time: Int) -> String {
        show(state.didSend(state.output?.remaining ?? 0, now: at(time)))
    }

    @Test func closesAFreshConnectionThatSendsNothingSilently() {
        var state = fresh()
        #expect(state.phase == .readingHead)
        #expect(state.deadline == at(1000).instant)
        #expect(show(state.deadlinePassed(now: at(999))) == "none")
        #expect(show(state.deadlinePassed(now: at(1000))) == "close")
    }

    @Test func givesA408WhenTheHeadIsNotCompleteByTheDeadline() {
        var state = fresh()
        // Dripping bytes does not move the deadline: it covers the whole head.
        for time in stride(from: 100, through: 900, by: 100) {
            #expect(show(state.received(Array("X".utf8), now: at(time))) == "none")
            #expect(state.deadline == at(1000).instant)
        }
        #expect(show(state.deadlinePassed(now: at(1000))) == "error 408")
        #expect(outputText(state).hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(outputText(state).contains("Connection: close\r\n"))
        #expect(sendAll(&state, at: 1001) == "shutdown")
        #expect(state.phase == .closing)
    }

    @Test func servesKeptAliveRequestsAndTimesOutWhenIdle() {
        var state = fresh()
        #expect(show(state.received(Array("GET /a HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: at(10))) == "dispatch GET /a")
        #expect(state.phase == .handling)
        #expect(state.deadline == nil)
        #expect(!state.wantsInput)
        #expect(show(state.responseReady(.text(200, "ok"), now: at(20))) == "send")
        #expect(state.wantsOutput)
        #expect(outputText(state) == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: 2\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\nok")
        #expect(sendAll(&state, at: 30) == "none")
        #expect(state.phase == .idle)
        #expect(state.deadline == at(5030).instant)
        // A new request's head gets its own deadline from its first byte.
        #expect(show(state.received(Array("GET".utf8), now: at(100))) == "none")
        #expect(state.phase == .readingHead)
        #expect(state.deadline == at(1100).instant)
        #expect(show(state.received(Array(" /b HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: at(200))) == "dispatch GET /b")
        _ = state.responseReady(.text(200, "ok"), now: at(210))
        _ = sendAll(&state, at: 220)
        #expect(show(state.deadlinePassed(now: at(5219))) == "none")
        #expect(show(state.deadlinePassed(now: at(5220))) == "close")
    }

    @Test func answersPipelinedRequestsOneAtATime() {
        var state = fresh()
        let action = state.received(Array("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: at(0))
        #expect(show(action) == "dispatch GET /1")
        _ = state.responseReady(.text(200, "one"), now: at(1))
        #expect(sendAll(&state, at: 2) == "dispatch GET /2")
        _ = state.responseReady(.text(200, "two"), now: at(3))
        #expect(sendAll(&state, at: 4) == "none")
        #expect(state.phase == .idle)
    }

    @Test func answersWhatArrivedBeforeTheEndOfInputThenCloses() {
        var state = fresh()
        #expect(show(state.received(Array("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3".utf8), now: at(0)))
            == "dispatch GET /1")
        #expect(show(state.inputEnded(now: at(1))) == "none")
        _ = state.responseReady(.text(200, "one"), now: at(2))
        #expect(sendAll(&state, at: 3) == "dispatch GET /2")
        _ = state.responseReady(.text(200, "two"), now: at(4))
        // "GET /3" can never complete.
        #expect(sendAll(&state, at: 5) == "close")
    }

    @Test func shutsDownOutputAndLingersAfterTheLastResponse() {
        var state = fresh()
        _ = state.received(Array("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /more HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: at(0))
        _ = state.responseReady(.text(200, "bye"), now: at(1))
        #expect(outputText(state).contains("Connection: close\r\n"))
        #expect(sendAll(&state, at: 2) == "shutdown")
        #expect(state.phase == .closing)
        #expect(state.wantsInput)
        #expect(state.deadline == at(1002).instant)
        // Input is drained and dropped, not answered.
        #expect(show(state.received(Array("12345".utf8), now: at(3))) == "none")
        #expect(show(state.received(Array("123456".utf8), now: at(4))) == "close")  // over lingerMaxBytes
        var other = fresh()
        _ = other.received(Array("GET / HTTP/1.0\r\n\r\n".utf8), now: at(0))
        _ = other.responseReady(.text(200, "bye"), now: at(1))
        _ = sendAll(&other, at: 2)
        #expect(show(other.inputEnded(now: at(3))) == "close")
        var third = fresh()
        _ = third.received(Array("GET / HTTP/1.0\r\n\r\n".utf8), now: at(0))
        _ = third.responseReady(.text(200, "bye"), now: at(1))
        _ = sendAll(&third, at: 2)
        #expect(show(third.deadlinePassed(now: at(1002))) == "close")
    }

    @Test func restartsTheWriteDeadlineOnProgress() {
        var state = fresh()
        _ = state.received(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: at(0))
        _ = state.responseReady(HTTPResponse(status: 200, body: [UInt8](repeating: 1, count: 1000)), now: at(0))
        #expect(state.deadline == at(2000).instant)
        #expect(show(state.didSend(100, now: at(1500))) == "send")
        #expect(state.output?.sent == 100)
        #expect(state.deadline == at(3500).instant)
        #expect(show(state.deadlinePassed(now: at(3500))) == "close")
    }

    @Test func sendsNoBodyForHead() {
        var state = fresh()
        _ = state.received(Array("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: at(0))
        _ = state.responseReady(.text(200, "twelve bytes"), now: at(1))
        #expect(state.output?.body.isEmpty == true)
        #expect(outputText(state).contains("Content-Length: 12\r\n"))
    }

    @Test func confirmsHTTP10KeepAlive() {
        var state = fresh()
        _ = state.received(Array("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".utf8), now: at(0))
        _ = state.responseReady(.text(200, "ok"), now: at(1))
        #expect(outputText(state).contains("Connection: keep-alive\r\n"))
        #expect(sendAll(&state, at: 2) == "none")
        #expect(state.phase == .idle)
    }

    @Test func givesA408WhenTheBodyIsLate() {
        var state = fresh()
        _ = state.received(Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc".utf8), now: at(500))
        #expect(state.phase == .readingBody)
        #expect(state.deadline == at(1500).instant)
        #expect(show(state.deadlinePassed(now: at(1500))) == "error 408")
    }

    @Test func invitesAnExpectedBodyWith100Continue() {
        var state = fresh()
        let head = "PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"
        #expect(show(state.received(Array(head.utf8), now: at(0))) == "interim HTTP/1.1 100 Continue\r\n\r\n")
        #expect(state.phase == .readingBody)
        #expect(show(state.received(Array("abc".utf8), now: at(1))) == "dispatch PUT /")
        // Not when the body came with the head, nor for HTTP/1.0, nor for a body over the limit.
        var eager = fresh()
        #expect(show(eager.received(Array((head + "abc").utf8), now: at(0))) == "dispatch PUT /")
        var http10 = fresh()
        let head10 = "PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"
        #expect(show(http10.received(Array(head10.utf8), now: at(0))) == "none")
        var tooLarge = fresh()
        let big = "PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 70000\r\n\r\n"
        #expect(show(tooLarge.received(Array(big.utf8), now: at(0))) == "error 413")
    }

    @Test func answersAParseErrorAndCloses() {
        var state = fresh()
        #expect(show(state.received(Array("GET / HTTP/3.0\r\n\r\n".utf8), now: at(0))) == "error 505")
        #expect(outputText(state).hasPrefix("HTTP/1.1 505 HTTP Version Not Supported\r\n"))
        #expect(outputText(state).hasSuffix("\r\n\r\nHTTP version not supported (HTTP/1.0 and HTTP/1.1 are)\n"))
        #expect(sendAll(&state, at: 1) == "shutdown")
    }

    @Test func stopsIdleConnectionsAtOnceAndBusyOnesAfterTheirResponse() {
        var idle = fresh()
        #expect(show(idle.beginStop(now: at(0))) == "close")
        var busy = fresh()
        _ = busy.received(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: at(0))
        #expect(show(busy.beginStop(now: at(1))) == "none")
        _ = busy.responseReady(.text(200, "last"), now: at(2))
        #expect(outputText(busy).contains("Connection: close\r\n"))
        #expect(sendAll(&busy, at: 3) == "shutdown")
    }

    @Test func refusesWithAStatusAndCloses() {
        var (state, action) = State.refusing(status: 503, message: "too many", settings: settings, now: at(0))
        #expect(show(action) == "error 503")
        #expect(outputText(state).hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
        #expect(outputText(state).hasSuffix("Connection: close\r\n\r\ntoo many\n"))
        #expect(sendAll(&state, at: 1) == "shutdown")
    }
}
