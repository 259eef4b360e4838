/// One connection's protocol state, with no socket code: the event loop reports what happened (bytes, end of
/// input, a response, bytes sent, time passing) and performs the action returned. Time comes in as a value,
/// so deadlines are tested without waiting.
///
/// One request at a time per connection: while a request is being handled or answered the loop does not read,
/// so pipelined requests wait in the kernel and the parser, and are answered in order.
struct HTTPConnectionState {
    struct Settings: Sendable {
        var limits = HTTPRequestParser.Limits()
        var headTimeout: Duration = .seconds(10)
        var bodyTimeout: Duration = .seconds(10)
        var idleTimeout: Duration = .seconds(60)
        var writeTimeout: Duration = .seconds(30)
        var lingerTimeout: Duration = .seconds(2)
        /// Input drained while lingering before giving up and closing at once.
        var lingerMaxBytes = 1 << 20

        init() {}

        init(_ configuration: HTTPServerConfiguration) {
            limits = configuration.parserLimits
            headTimeout = configuration.headTimeout
            bodyTimeout = configuration.bodyTimeout
            idleTimeout = configuration.idleTimeout
            writeTimeout = configuration.writeTimeout
            lingerTimeout = configuration.lingerTimeout
        }
    }

    /// The time now: a monotonic instant for deadlines, the wall-clock text for `Date`.
    struct Moment {
        var instant: ContinuousClock.Instant
        var httpDate: String
    }

    enum Phase: Equatable {
        /// Kept alive between requests.
        case idle
        /// A new connection, or bytes of a request head have arrived.
        case readingHead
        case readingBody
        /// The request is with a worker.
        case handling
        case writing
        /// Output shut down; draining input until the peer closes or the linger deadline.
        case closing
    }

    enum Action {
        case none
        /// Give the request to a worker; report the response with `responseReady`.
        case dispatch(HTTPRequest)
        /// Send `output`, reporting progress with `didSend`.
        case send
        /// The server itself answers with this status (a parse error or a deadline); then as `send`.
        case sendError(status: Int)
        /// Send these few bytes now, best effort, and keep reading: `100 Continue`, which fits any socket buffer.
        case sendInterim([UInt8])
        /// Shut down the output (`shutdown(SHUT_WR)`) and keep reading until end of input.
        case shutdownOutput
        /// Close the socket now.
        case close
    }

    /// Bytes to send: the head, then the body (shared with the response, never copied).
    struct Output {
        var head: [UInt8]
        var body: [UInt8]
        /// The response's `bodyOwner`, released with the output.
        var owner: (any AnyObject & Sendable)?
        /// Bytes of head then body already sent.
        var sent = 0
        var remaining: Int { head.count + body.count - sent }
    }

    let settings: Settings
    private(set) var phase: Phase
    /// When `deadlinePassed` must be called; nil while a worker has the request.
    private(set) var deadline: ContinuousClock.Instant?
    private(set) var output: Output?
    private var parser: HTTPRequestParser
    private var closeAfterResponse = false
    private var respondingToHEAD = false
    private var respondingToHTTP10 = false
    private var sawEndOfInput = false
    private var stopping = false
    private var drained = 0

    /// A newly accepted connection: its first request head must arrive within `headTimeout`.
    init(settings: Settings, now: ContinuousClock.Instant) {
        self.settings = settings
        parser = HTTPRequestParser(limits: settings.limits)
        phase = .readingHead
        deadline = now + settings.headTimeout
    }

    /// A connection refused on arrival (e.g. over the connection cap): answer `status` and close.
    static func refusing(status: Int, message: String, settings: Settings, now: Moment) -> (Self, Action) {
        var state = Self(settings: settings, now: now.instant)
        state.respond(.text(status, message + "\n"), close: true, now: now)
        return (state, .sendError(status: status))
    }

    var wantsInput: Bool {
        switch phase {
        case .idle, .readingHead, .readingBody, .closing: true
        case .handling, .writing: false
        }
    }

    var wantsOutput: Bool { phase == .writing }

    // MARK: - Events

    mutating func received(_ bytes: some Collection<UInt8>, now: Moment) -> Action {
        if phase == .closing {
            drained += bytes.count
            return drained > settings.lingerMaxBytes ? .close : .none
        }
        parser.append(bytes)
        return advance(now: now)
    }

    /// The peer shut down its output (recv returned 0). Requests already received are still answered.
    mutating func inputEnded(now: Moment) -> Action {
        sawEndOfInput = true
        switch phase {
        case .closing: return .close
        case .idle, .readingHead, .readingBody: return advance(now: now)
        case .handling, .writing: return .none
        }
    }

    mutating func responseReady(_ response: HTTPResponse, now: Moment) -> Action {
        guard phase == .handling else { return .none }
        respond(response, close: closeAfterResponse || stopping, now: now)
        return .send
    }

    mutating func didSend(_ count: Int, now: Moment) -> Action {
        guard phase == .writing, var pending = output else { return .none }
        pending.sent += count
        if pending.remaining > 0 {
            output = pending
            deadline = now.instant + settings.writeTimeout
            return .send
        }
        output = nil
        if closeAfterResponse || stopping {
            phase = .closing
            deadline = now.instant + settings.lingerTimeout
            return .shutdownOutput
        }
        phase = .idle
        deadline = now.instant + settings.idleTimeout
        return advance(now: now)
    }

    mutating func deadlinePassed(now: Moment) -> Action {
        guard let deadline, now.instant >= deadline else { return .none }
        switch phase {
        case .readingHead where parser.isMidRequest, .readingBody:
            respond(.text(408, "request not received in time\n"), close: true, now: now)
            return .sendError(status: 408)
        case .idle, .readingHead, .writing, .closing:
            return .close
        case .handling:
            return .none
        }
    }

    /// The server is stopping: connections without a request in progress close now, the others after their
    /// response.
    mutating func beginStop(now: Moment) -> Action {
        stopping = true
        switch phase {
        case .idle, .readingHead, .readingBody: return .close
        case .handling, .writing, .closing: return .none
        }
    }

    // MARK: - Steps

    private mutating func advance(now: Moment) -> Action {
        switch phase {
        case .idle, .readingHead, .readingBody: break
        case .handling, .writing, .closing: return .none
        }
        do {
            if let request = try parser.next() {
                phase = .handling
                deadline = nil
                respondingToHEAD = request.method == "HEAD"
                respondingToHTTP10 = request.version == "HTTP/1.0"
                closeAfterResponse = !request.keepAlive
                return .dispatch(request)
            }
        } catch {
            respond(.text(error.status, error.description + "\n"), close: true, now: now)
            return .sendError(status: error.status)
        }
        if sawEndOfInput {
            // Nothing more can complete a request: an unfinished one is abandoned, as the client did.
            return .close
        }
        if parser.isReadingBody {
            if phase != .readingBody {
                phase = .readingBody
                deadline = now.instant + settings.bodyTimeout
                // The body is within the limits (else the parser had refused it): invite it.
                if parser.awaitsContinue { return .sendInterim(Self.continueResponse) }
            }
        } else if parser.isMidRequest && phase == .idle {
            phase = .readingHead
            deadline = now.instant + settings.headTimeout
        }
        return .none
    }

    static let continueResponse = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    private mutating func respond(_ response: HTTPResponse, close: Bool, now: Moment) {
        if close { closeAfterResponse = true }
        let headRequest = phase == .handling && respondingToHEAD
        let encoded = HTTPResponseEncoder.encode(response, headRequest: headRequest, close: closeAfterResponse,
                                                 http10KeepAlive: respondingToHTTP10 && !closeAfterResponse,
                                                 date: now.httpDate)
        // A HEAD answer sends no body: its owner need not wait for it.
        output = Output(head: encoded.head, body: encoded.body, owner: encoded.body.isEmpty ? nil : response.bodyOwner)
        phase = .writing
        deadline = now.instant + settings.writeTimeout
    }
}
