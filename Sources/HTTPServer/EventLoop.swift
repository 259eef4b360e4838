import Glibc
import Synchronization
import TLS

/// The listener's single I/O thread: poll(2) over the listening sockets, the mailbox pipe and every connection;
/// non-blocking accept, recv and sendmsg (or, with TLS, a `TLSSession`'s handshake, reads and writes over the same
/// socket); per-connection protocol in `HTTPConnectionState`.
///
/// Everything below "Loop thread only" is touched by the loop thread alone, after `init` hands the object over;
/// that is why the class is `@unchecked Sendable`. Other threads use only `requestStop()` and the `let`s.
final class EventLoop: @unchecked Sendable {
    private final class Connection {
        let fd: Int32
        let id: UInt64
        let remoteAddress: String
        /// The peer for the connection cap's fair share (`SocketAddress.clientKey`).
        let clientKey: String
        /// Refused on arrival (over the cap): not counted as open, lingers in a small separate budget.
        let refused: Bool
        var state: HTTPConnectionState
        /// Its answer is waiting in `held` until its `notBefore`: evictable at the cap, unlike other busy ones.
        var holding = false
        /// Set on a TLS listener: reads and writes go through it.
        var tls: TLSSession?
        /// Socket readiness the TLS layer waits for before anything else can go on (the handshake, a read that
        /// must write first, a write that must read first); nil: what `state` wants.
        var tlsWaitsFor: Int16?
        /// In `handshakeGate`: running its handshake, or waiting for a slot.
        var inHandshakeGate = false
        /// Waiting for a handshake slot: no session yet, not polled.
        var waitsForHandshakeSlot: Bool { inHandshakeGate && tls == nil }

        init(fd: Int32, id: UInt64, peer: SocketAddress, refused: Bool, state: HTTPConnectionState) {
            self.fd = fd
            self.id = id
            self.remoteAddress = peer.host
            self.clientKey = peer.clientKey
            self.refused = refused
            self.state = state
        }
    }

    /// Refused connections allowed to linger (drain before close) at once; beyond it they are closed at once.
    static let maxLingeringRefused = 64
    /// Connections accepted per listener per wake-up, so a flood cannot starve the connections already open.
    static let acceptBatch = 64
    /// recv calls per connection per wake-up, for the same fairness.
    static let readBatch = 4
    static let readBufferSize = 64 * 1024
    /// The same listener-level problem is logged at most this often.
    static let logInterval: Duration = .seconds(10)

    let listeners: [ListeningSocket]
    let mailbox: Mailbox
    private let pool: WorkerPool
    /// Runs what `configuration.route` sends to the slow lane; nil without a router.
    private let slowLane: WorkerPool?
    private let handler: HTTPServer.Handler
    private let configuration: HTTPServerConfiguration
    private let settings: HTTPConnectionState.Settings
    private let counters: CounterStore
    /// `maxConnections`, cut to fit the open-file limit at start.
    let connectionCap: Int
    /// Started with `configuration.tls`: every connection speaks TLS, with the context in `tlsContext` when it
    /// was accepted.
    let servesTLS: Bool
    private let tlsContext: Mutex<TLSServerContext?>
    /// Where this loop's TLS sessions gather their records before sending (nil without TLS, or out of memory:
    /// then no TLS connection starts, and each refusal is logged).
    private let tlsRecords: TLSRecordBuffer?

    // MARK: Loop thread only

    private var connections: [Int32: Connection] = [:]
    /// The open (not refused) connections by standing, to pick who gives way at the cap.
    private var evictionTable: ConnectionEvictionTable<Int32>
    /// Which TLS connections may run their handshake now.
    private var handshakeGate: HandshakeGate<Int32>
    private var openCount = 0
    private var lingeringRefused = 0
    private var nextID: UInt64 = 1
    private var stopping = false
    private var stopDeadline: ContinuousClock.Instant?
    private var acceptPausedUntil: ContinuousClock.Instant?
    /// Spent when the process runs out of descriptors, to accept and close one waiting connection instead of
    /// leaving it in the backlog (where poll would report it again and again).
    private var reserveFD: Int32 = -1
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: EventLoop.readBufferSize,
                                                                     alignment: 16)
    /// A small TLS response's head and body, gathered into one record.
    private let tlsWriteBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: EventLoop.tlsRecordSize,
                                                                        alignment: 16)
    private var dateSecond = -1
    private var dateText = ""
    private var lastLogged: [String: ContinuousClock.Instant] = [:]
    /// Responses waiting for their `notBefore`.
    private var held = HeldResponses<Mailbox.Completion>()
    private let clock = ContinuousClock()

    init(listeners: [ListeningSocket], mailbox: Mailbox, pool: WorkerPool, slowLane: WorkerPool?,
         handler: @escaping HTTPServer.Handler, configuration: HTTPServerConfiguration, counters: CounterStore) {
        self.listeners = listeners
        self.mailbox = mailbox
        self.pool = pool
        self.slowLane = slowLane
        self.handler = handler
        self.configuration = configuration
        self.settings = HTTPConnectionState.Settings(configuration)
        self.counters = counters
        connectionCap = FileDescriptorLimit.connectionCap(configured: configuration.maxConnections,
                                                          limit: FileDescriptorLimit.current)
        evictionTable = ConnectionEvictionTable(cap: connectionCap)
        handshakeGate = HandshakeGate(limit: configuration.maxConcurrentHandshakes, patience: configuration.handshakePatience)
        servesTLS = configuration.tls != nil
        tlsContext = Mutex(configuration.tls)
        tlsRecords = servesTLS ? try? TLSRecordBuffer() : nil
    }

    /// From any thread: new connections use `context`; open ones keep theirs.
    func replaceTLSContext(_ context: TLSServerContext) {
        tlsContext.withLock { $0 = context }
    }

    deinit {
        readBuffer.deallocate()
        tlsWriteBuffer.deallocate()
    }

    /// From any thread. Shutting the listening sockets down (close alone does not wake a poll or accept) makes
    /// the kernel refuse new connections at once; the loop closes them when it sees the request.
    func requestStop() {
        for listener in listeners { shutdown(listener.fd, Int32(SHUT_RDWR)) }
        mailbox.requestStop()
    }

    // MARK: - Loop

    func run() {
        reserveFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
        if connectionCap < configuration.maxConnections {
            configuration.log?("connection cap cut from \(configuration.maxConnections) to \(connectionCap) to fit the "
                               + "open-file limit of \(FileDescriptorLimit.current)")
        }
        var pollFDs: [pollfd] = []
        var polled: [Connection] = []
        /// TLS connections holding decrypted input poll(2) cannot see.
        var buffered: [Connection] = []
        while true {
            var now = moment()
            if !stopping && mailbox.stopRequested { beginStop(now: now) }
            if stopping, connections.isEmpty || now.instant >= stopDeadline! { break }

            pollFDs.removeAll(keepingCapacity: true)
            polled.removeAll(keepingCapacity: true)
            buffered.removeAll(keepingCapacity: true)
            pollFDs.append(pollfd(fd: mailbox.readFD, events: Int16(POLLIN), revents: 0))
            if let until = acceptPausedUntil, now.instant >= until { acceptPausedUntil = nil }
            let accepting = !stopping && acceptPausedUntil == nil
            if accepting {
                for listener in listeners { pollFDs.append(pollfd(fd: listener.fd, events: Int16(POLLIN), revents: 0)) }
            }
            var wakeAt = stopDeadline ?? acceptPausedUntil
            if let until = acceptPausedUntil { wakeAt = min(wakeAt ?? until, until) }
            if let due = held.nextDue { wakeAt = min(wakeAt ?? due, due) }
            if let due = handshakeGate.nextDeadline() { wakeAt = min(wakeAt ?? due, due) }
            for connection in connections.values {
                if let deadline = connection.state.deadline { wakeAt = min(wakeAt ?? deadline, deadline) }
                if connection.waitsForHandshakeSlot { continue }
                var events: Int16 = 0
                if connection.state.wantsInput { events |= Int16(POLLIN) }
                if connection.state.wantsOutput { events |= Int16(POLLOUT) }
                if let tls = connection.tls {
                    if let waits = connection.tlsWaitsFor {
                        events = waits
                    } else if connection.state.wantsInput && tls.hasBufferedInput {
                        buffered.append(connection)
                        wakeAt = now.instant
                    }
                }
                guard events != 0 else { continue }
                pollFDs.append(pollfd(fd: connection.fd, events: events, revents: 0))
                polled.append(connection)
            }

            let ready = poll(&pollFDs, nfds_t(pollFDs.count), Self.pollTimeout(until: wakeAt, now: now.instant))
            if ready < 0 {
                let code = errno
                if code != EINTR {
                    log("poll", "poll: \(HTTPServerError.errnoText(code))", now: now.instant)
                    usleep(10_000)  // ENOMEM and the like: don't spin
                }
                continue
            }
            now = moment()

            if pollFDs[0].revents != 0 { mailbox.drainWakeUps() }
            for completion in mailbox.take() { deliver(completion, now: now) }
            for completion in held.takeDue(now: now.instant) { deliver(completion, now: now) }

            var index = 1
            if accepting {
                for listener in listeners {
                    if pollFDs[index].revents != 0 { acceptConnections(on: listener, now: now) }
                    index += 1
                }
            }
            for connection in polled {
                let revents = Int32(pollFDs[index].revents)
                index += 1
                // Closed meanwhile, and perhaps its number already reused by a new connection.
                guard revents != 0, connections[connection.fd] === connection else { continue }
                if connection.tlsWaitsFor != nil {
                    resumeTLS(connection, now: now)
                } else if connection.state.wantsInput, revents & Int32(POLLIN | POLLHUP | POLLERR) != 0 {
                    receive(on: connection, now: now)
                } else if connection.state.wantsOutput, revents & Int32(POLLOUT | POLLHUP | POLLERR) != 0 {
                    // On an error the send fails and says why.
                    perform(.send, on: connection, now: now)
                } else if revents & Int32(POLLNVAL) != 0 {
                    close(connection)
                }
            }
            for connection in buffered where connections[connection.fd] === connection && connection.tlsWaitsFor == nil {
                receive(on: connection, now: now)
            }

            for connection in Array(connections.values) {
                guard let deadline = connection.state.deadline, now.instant >= deadline,
                      connections[connection.fd] === connection else { continue }
                if connection.waitsForHandshakeSlot {
                    close(connection)  // its head timeout passed before its turn came
                    continue
                }
                perform(connection.state.deadlinePassed(now: now), on: connection, now: now)
            }
            startOverdueHandshakes(now: now)
        }
        finish()
    }

    private func beginStop(now: HTTPConnectionState.Moment) {
        stopping = true
        stopDeadline = now.instant + configuration.shutdownGracePeriod
        for listener in listeners { Glibc.close(listener.fd) }
        for connection in Array(connections.values) {
            if connection.waitsForHandshakeSlot {
                close(connection)
                continue
            }
            perform(connection.state.beginStop(now: now), on: connection, now: now)
        }
    }

    private func finish() {
        for connection in Array(connections.values) { close(connection) }
        if !stopping { for listener in listeners { Glibc.close(listener.fd) } }
        if reserveFD >= 0 { Glibc.close(reserveFD) }
        mailbox.close()
    }

    // MARK: - Accepting

    private func acceptConnections(on listener: ListeningSocket, now: HTTPConnectionState.Moment) {
        for _ in 0..<Self.acceptBatch {
            var peer = SocketAddress()
            let fd = peer.withMutableSockaddr { FileDescriptor.acceptCloseOnExec(listener.fd, $0, $1) }
            if fd >= 0 {
                adopt(fd, peer: peer, now: now)
                continue
            }
            let code = errno
            switch Self.acceptFailure(code) {
            case .drained:
                return
            case .transient:
                continue
            case .outOfDescriptors:
                let shed = shedWaitingConnections(on: listener)
                counters.update { $0.rejectedNoFileDescriptors += max(shed, 1) }
                pauseAccepting(now: now)
                log("nofile", "accept on \(listener.address.description): \(HTTPServerError.errnoText(code)); "
                        + "closed \(shed) waiting connection(s), pausing accept for \(configuration.acceptBackoff)",
                    now: now.instant)
                return
            case .outOfMemory:
                pauseAccepting(now: now)
                log("nomem", "accept on \(listener.address.description): \(HTTPServerError.errnoText(code)); "
                        + "pausing accept for \(configuration.acceptBackoff)", now: now.instant)
                return
            case .closed:
                return
            }
        }
    }

    enum AcceptFailure: Equatable {
        /// Nothing more waiting.
        case drained
        /// This connection died in the backlog, or a network error accept(2) says to treat like EAGAIN: go on.
        case transient
        /// EMFILE/ENFILE: shed waiting connections and pause, or poll would report them again at once.
        case outOfDescriptors
        /// ENOBUFS/ENOMEM: pause.
        case outOfMemory
        /// EBADF/EINVAL and the rest: the socket was shut down by stop().
        case closed
    }

    static func acceptFailure(_ code: Int32) -> AcceptFailure {
        switch code {
        case EAGAIN, EWOULDBLOCK: .drained
        case EINTR, ECONNABORTED, EPROTO, EPERM, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH,
             EOPNOTSUPP, ENETUNREACH, ETIMEDOUT: .transient
        case EMFILE, ENFILE: .outOfDescriptors
        case ENOBUFS, ENOMEM: .outOfMemory
        default: .closed
        }
    }

    private func pauseAccepting(now: HTTPConnectionState.Moment) {
        acceptPausedUntil = now.instant + configuration.acceptBackoff
    }

    /// Out of descriptors: frees the reserve to accept one waiting connection, tells it 503 and closes it, and
    /// repeats while that works. Clients get an answer instead of hanging in the backlog.
    private func shedWaitingConnections(on listener: ListeningSocket) -> Int {
        var shed = 0
        while reserveFD >= 0 && shed < Self.acceptBatch {
            Glibc.close(reserveFD)
            let fd = FileDescriptor.acceptCloseOnExec(listener.fd, nil, nil)
            if fd >= 0 {
                if !servesTLS { Self.sendAtOnce(Self.refusal, to: fd) }
                Glibc.close(fd)
                shed += 1
            }
            reserveFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
            if fd < 0 { break }
        }
        return shed
    }

    private static let refusal = Array(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 31\r\nConnection: close\r\n\r\nserver overloaded, retry later\n".utf8)

    /// One best-effort non-blocking send, for connections about to be closed without lingering.
    private static func sendAtOnce(_ bytes: [UInt8], to fd: Int32) {
        _ = FileDescriptor.makeNonBlockingCloseOnExec(fd)
        bytes.withUnsafeBytes { _ = Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    private func adopt(_ fd: Int32, peer: SocketAddress, now: HTTPConnectionState.Moment) {
        let code = FileDescriptor.makeNonBlockingCloseOnExec(fd)
        guard code == 0 else {
            Glibc.close(fd)
            log("fcntl", "fcntl on an accepted connection: \(HTTPServerError.errnoText(code))", now: now.instant)
            return
        }
        // Responses go out in one sendmsg and are complete; waiting to coalesce only adds latency.
        _ = FileDescriptor.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        let id = nextID
        nextID += 1
        counters.update { $0.acceptedConnections += 1 }

        let clientKey = peer.clientKey
        if openCount >= connectionCap && !stopping { makeRoom(forNewcomerFrom: clientKey, now: now) }
        if openCount >= connectionCap || stopping {
            counters.update { $0.rejectedOverCapacity += 1 }
            log("cap", "connection cap of \(connectionCap) reached: answering 503", now: now.instant)
            // A TLS client would need a whole handshake (the very work the cap protects) to read the 503.
            guard lingeringRefused < Self.maxLingeringRefused, !servesTLS else {
                if !servesTLS { Self.sendAtOnce(Self.refusal, to: fd) }
                Glibc.close(fd)
                return
            }
            let (state, _) = HTTPConnectionState.refusing(status: 503, message: "too many open connections, retry later",
                                                          settings: settings, now: now)
            let connection = Connection(fd: fd, id: id, peer: peer, refused: true, state: state)
            connections[fd] = connection
            lingeringRefused += 1
            perform(.send, on: connection, now: now)
            return
        }

        openCount += 1
        counters.update { $0.openConnections = openCount }
        let connection = Connection(fd: fd, id: id, peer: peer, refused: false,
                                    state: HTTPConnectionState(settings: settings, now: now.instant))
        connections[fd] = connection
        evictionTable.insert(fd, address: clientKey, standing: Self.standing(of: connection))
        if servesTLS {
            connection.inHandshakeGate = true
            guard handshakeGate.arrive(fd, address: clientKey, now: now.instant) else {
                counters.update { $0.tlsHandshakesQueued += 1 }
                return
            }
            guard startTLS(connection, now: now) else { return }
        }
        // Clients usually send at once: reading now often saves a trip through poll.
        receive(on: connection, now: now)
    }

    /// At the cap, closes the connection `ConnectionEvictionTable` picks, if any: slowloris fills the cap with
    /// heads that never end, an idle client with kept-alive connections; the newcomer, likely a scraper whose
    /// request arrives at once, takes the place of one that is not using it.
    private func makeRoom(forNewcomerFrom clientKey: String, now: HTTPConnectionState.Moment) {
        guard case .evict(let fd, let standing, let ownAddress) = evictionTable.decide(newcomerFrom: clientKey),
              let victim = connections[fd] else { return }
        close(victim)
        let whose = ownAddress ? " of the newcomer's own address, which holds its fair share of "
            + "\(evictionTable.fairShare)" : ""
        switch standing {
        case .idle:
            counters.update { $0.evictedIdleConnections += 1 }
            log("evict-idle", "connection cap of \(connectionCap) reached: closing the longest-idle keep-alive "
                    + "connection\(whose)", now: now.instant)
        case .held:
            counters.update { $0.evictedConnections += 1 }
            log("evict-held", "connection cap of \(connectionCap) reached: closing a connection whose answer was "
                    + "being held back (a refused or failed request)\(whose)", now: now.instant)
        case .sendingHead, .busy:
            counters.update { $0.evictedConnections += 1 }
            log("evict", "connection cap of \(connectionCap) reached: closing the oldest connection still sending "
                    + "its request head\(whose)", now: now.instant)
        }
    }

    private static func standing(of connection: Connection) -> ConnectionEvictionTable<Int32>.Standing {
        if connection.holding { return .held }
        return switch connection.state.phase {
        case .readingHead: .sendingHead
        case .idle: .idle
        case .readingBody, .handling, .writing, .closing: .busy
        }
    }

    // MARK: - Connections

    private func receive(on connection: Connection, now: HTTPConnectionState.Moment) {
        // Lingering after the last response, input is only drained: the socket's bytes, undecrypted.
        if let tls = connection.tls, connection.state.phase != .closing {
            receive(on: connection, through: tls, now: now)
            return
        }
        var reads = 0
        while connection.state.wantsInput && reads < Self.readBatch && connections[connection.fd] === connection {
            let count = recv(connection.fd, readBuffer.baseAddress, readBuffer.count, 0)
            if count > 0 {
                reads += 1
                let bytes = UnsafeRawBufferPointer(rebasing: readBuffer[0..<count])
                perform(connection.state.received(bytes, now: now), on: connection, now: now)
            } else if count == 0 {
                perform(connection.state.inputEnded(now: now), on: connection, now: now)
                return
            } else {
                switch errno {
                case EAGAIN, EWOULDBLOCK: return
                case EINTR: continue
                default:
                    // ECONNRESET and the like: the client is gone.
                    close(connection)
                    return
                }
            }
        }
    }

    private func deliver(_ completion: Mailbox.Completion, now: HTTPConnectionState.Moment) {
        guard let connection = connections[completion.fd], connection.id == completion.connectionID else { return }
        if let due = completion.response.notBefore, due > now.instant {
            held.hold(completion, until: due)
            connection.holding = true
            if !connection.refused { evictionTable.update(connection.fd, to: .held) }
            return
        }
        connection.holding = false
        perform(connection.state.responseReady(completion.response, now: now), on: connection, now: now)
    }

    private func perform(_ first: HTTPConnectionState.Action, on connection: Connection,
                         now: HTTPConnectionState.Moment) {
        // Every change of a connection's state comes through here: keep its standing for eviction current.
        defer {
            if !connection.refused && connections[connection.fd] === connection {
                evictionTable.update(connection.fd, to: Self.standing(of: connection))
            }
        }
        var action = first
        while true {
            switch action {
            case .none:
                return
            case .dispatch(var request):
                request.remoteAddress = connection.remoteAddress
                counters.update { $0.requests += 1 }
                let job = request, fd = connection.fd, id = connection.id
                let handler: HTTPServer.Handler, lane: WorkerPool
                switch configuration.route?(job) ?? .workers {
                case .workers:
                    (handler, lane) = (self.handler, pool)
                case .slowLane(let slowHandler):
                    (handler, lane) = (slowHandler, slowLane ?? pool)
                case .respond(let response):
                    deliver(Mailbox.Completion(fd: fd, connectionID: id, response: response), now: now)
                    return
                }
                let mailbox = self.mailbox
                lane.submit {
                    let response = handler(job)
                    mailbox.post(Mailbox.Completion(fd: fd, connectionID: id, response: response))
                }
                return
            case .sendError(let status):
                counters.update { $0.errorResponses[status, default: 0] += 1 }
                action = .send
            case .send:
                guard let next = send(on: connection, now: now) else { return }
                action = next
            case .sendInterim(let bytes):
                // Nothing else is queued on this connection, so the socket buffer takes it whole; should it not,
                // the client sends its body after its own short wait anyway.
                if let tls = connection.tls {
                    bytes.withUnsafeBytes { tls.enqueue($0) }
                } else {
                    _ = bytes.withUnsafeBytes { Glibc.send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                }
                return
            case .shutdownOutput:
                connection.tls?.shutdown()
                shutdown(connection.fd, Int32(SHUT_WR))
                return
            case .close:
                close(connection)
                return
            }
        }
    }

    /// One sendmsg of what remains of head and body (nil: wait for POLLOUT, or the connection was closed).
    private func send(on connection: Connection, now: HTTPConnectionState.Moment) -> HTTPConnectionState.Action? {
        guard let output = connection.state.output else { return HTTPConnectionState.Action.none }
        if let tls = connection.tls { return send(output, on: connection, through: tls, now: now) }
        while true {
            let sent = output.head.withUnsafeBytes { head in
                output.body.withUnsafeBytes { body in
                    Self.sendmsg(connection.fd, head: head, body: body, skipping: output.sent)
                }
            }
            if sent >= 0 { return connection.state.didSend(sent, now: now) }
            let code = errno
            switch code {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return nil
            default:
                // EPIPE, ECONNRESET: the client went away. MSG_NOSIGNAL keeps this an errno, not a SIGPIPE.
                close(connection)
                return nil
            }
        }
    }

    /// Gathers the unsent parts of head and body into one call: no copy, and no small-packet delay between them.
    private static func sendmsg(_ fd: Int32, head: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer,
                                skipping sent: Int) -> Int {
        var parts: [iovec] = []
        parts.reserveCapacity(2)
        if sent < head.count, let base = head.baseAddress {
            parts.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: base + sent), iov_len: head.count - sent))
        }
        let bodySent = max(0, sent - head.count)
        if bodySent < body.count, let base = body.baseAddress {
            parts.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: base + bodySent), iov_len: body.count - bodySent))
        }
        guard !parts.isEmpty else { return 0 }
        return parts.withUnsafeMutableBufferPointer { vectors in
            var message = msghdr()
            message.msg_iov = vectors.baseAddress
            message.msg_iovlen = vectors.count
            return Glibc.sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
        }
    }

    private func close(_ connection: Connection) {
        guard connections[connection.fd] === connection else { return }
        connections[connection.fd] = nil
        leaveHandshakeGate(connection)
        connection.tls = nil
        Glibc.close(connection.fd)
        let aborted = connection.state.phase == .writing || connection.state.phase == .handling
        if connection.refused {
            lingeringRefused -= 1
        } else {
            openCount -= 1
            evictionTable.remove(connection.fd)
        }
        counters.update {
            $0.openConnections = openCount
            if aborted && !connection.refused { $0.abortedResponses += 1 }
        }
    }

    // MARK: - TLS

    /// Gives the connection its TLS session, with the context in force now; false when that failed and the
    /// connection was closed.
    private func startTLS(_ connection: Connection, now: HTTPConnectionState.Moment) -> Bool {
        do {
            guard let context = tlsContext.withLock({ $0 }), let tlsRecords else {
                throw TLSError(key: nil, "no TLS context or output buffer")
            }
            connection.tls = try TLSSession(server: context, fd: connection.fd, records: tlsRecords)
            return true
        } catch {
            log("tls", "TLS on an accepted connection: \(error)", now: now.instant)
            close(connection)
            return false
        }
    }

    /// Its handshake ended (or its connection did): the connections whose turn it is now get their sessions and
    /// are polled from the next pass on (starting them here could recurse through `close`).
    private func leaveHandshakeGate(_ connection: Connection) {
        guard connection.inHandshakeGate else { return }
        connection.inHandshakeGate = false
        startWaiting(handshakeGate.leave(connection.fd))
    }

    /// Connections that waited `handshakePatience` for a slot start anyway: the gate smooths bursts, it never locks
    /// anyone out (stalled handshakes from many addresses would otherwise keep every slot).
    private func startOverdueHandshakes(now: HTTPConnectionState.Moment) {
        let overdue = handshakeGate.overdue(now: now.instant)
        guard !overdue.isEmpty else { return }
        log("tls-overdue", "TLS connections waited \(configuration.handshakePatience) for one of "
                + "\(configuration.maxConcurrentHandshakes) handshake slots: starting them anyway", now: now.instant)
        startWaiting(overdue)
    }

    private func startWaiting(_ fds: [Int32]) {
        for fd in fds {
            guard let connection = connections[fd] else {
                // Cannot happen (a connection leaves the gate before it leaves `connections`); never hold a slot.
                startWaiting(handshakeGate.leave(fd))
                continue
            }
            _ = startTLS(connection, now: moment())
        }
    }

    /// The socket is ready for what the TLS layer waited for: go on with the handshake, or with the read or
    /// write it interrupted.
    private func resumeTLS(_ connection: Connection, now: HTTPConnectionState.Moment) {
        connection.tlsWaitsFor = nil
        if connection.state.wantsOutput {
            perform(.send, on: connection, now: now)
        } else {
            receive(on: connection, now: now)
        }
    }

    /// Handshake first (counted in the head timeout: a client that never finishes it is closed like one that never
    /// finishes its head), then up to `readBatch` records.
    private func receive(on connection: Connection, through tls: TLSSession, now: HTTPConnectionState.Moment) {
        if !tls.handshakeDone {
            switch tls.handshake() {
            case .done:
                counters.update { $0.tlsHandshakes += 1 }
                leaveHandshakeGate(connection)
            case .wantRead:
                connection.tlsWaitsFor = Int16(POLLIN)
                return
            case .wantWrite:
                connection.tlsWaitsFor = Int16(POLLOUT)
                return
            case .closed, .failed:
                // Plain HTTP, a scanner, a client refusing our certificate or refused for its own: this connection only.
                counters.update { $0.tlsHandshakeFailures += 1 }
                // The alert is on its way; input already here (a TLS 1.3 client sends its request before it
                // learns it was refused) would turn the close into a reset that destroys the alert: drain it.
                shutdown(connection.fd, Int32(SHUT_WR))
                for _ in 0..<Self.readBatch
                where recv(connection.fd, readBuffer.baseAddress, readBuffer.count, Int32(MSG_DONTWAIT)) <= 0 { break }
                close(connection)
                return
            }
        }
        var reads = 0
        while connection.state.wantsInput && reads < Self.readBatch && connections[connection.fd] === connection {
            switch tls.read(into: readBuffer) {
            case .done(let count):
                reads += 1
                let bytes = UnsafeRawBufferPointer(rebasing: readBuffer[0..<count])
                perform(connection.state.received(bytes, now: now), on: connection, now: now)
            case .wantRead:
                return
            case .wantWrite:
                connection.tlsWaitsFor = Int16(POLLOUT)
                return
            case .closed:
                perform(connection.state.inputEnded(now: now), on: connection, now: now)
                return
            case .failed:
                close(connection)
                return
            }
        }
    }

    /// One `TLSSession.write` of what remains (up to its budget, in one send). A head shorter than a record goes out
    /// in one record with the start of the body (a small response whole, as plaintext sends it in one sendmsg); a
    /// retry after `wantWrite` passes the same bytes again.
    private func send(_ output: HTTPConnectionState.Output, on connection: Connection, through tls: TLSSession,
                      now: HTTPConnectionState.Moment) -> HTTPConnectionState.Action? {
        let progress: TLSSession.Progress
        let headPart = output.head.count - output.sent
        if headPart > 0 && headPart < Self.tlsRecordSize && !output.body.isEmpty {
            let bodyPart = min(output.body.count, Self.tlsRecordSize - headPart)
            output.head.withUnsafeBytes { head in
                tlsWriteBuffer.baseAddress!.copyMemory(from: head.baseAddress! + output.sent, byteCount: headPart)
            }
            progress = output.body.withUnsafeBytes { body in
                (tlsWriteBuffer.baseAddress! + headPart).copyMemory(from: body.baseAddress!, byteCount: bodyPart)
                return tls.write(UnsafeRawBufferPointer(rebasing: tlsWriteBuffer[0..<(headPart + bodyPart)]),
                                 UnsafeRawBufferPointer(rebasing: body[bodyPart...]))
            }
        } else if headPart > 0 {
            progress = output.head.withUnsafeBytes { head in
                output.body.withUnsafeBytes { body in
                    tls.write(UnsafeRawBufferPointer(rebasing: head[output.sent...]), body)
                }
            }
        } else {
            let offset = output.sent - output.head.count
            progress = output.body.withUnsafeBytes { tls.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
        }
        switch progress {
        case .done(let count):
            return connection.state.didSend(count, now: now)
        case .wantWrite:
            return nil
        case .wantRead:
            connection.tlsWaitsFor = Int16(POLLIN)
            return nil
        case .closed, .failed:
            close(connection)
            return nil
        }
    }

    /// TLS's largest record payload.
    static let tlsRecordSize = 16 * 1024

    // MARK: - Time and logging

    private func moment() -> HTTPConnectionState.Moment {
        let second = Int(time(nil))
        if second != dateSecond {
            dateSecond = second
            dateText = HTTPDate.format(secondsSinceEpoch: second)
        }
        return HTTPConnectionState.Moment(instant: clock.now, httpDate: dateText)
    }

    /// Milliseconds from now until `deadline`, rounded up so a deadline is never polled early; -1 for none.
    static func pollTimeout(until deadline: ContinuousClock.Instant?, now: ContinuousClock.Instant) -> Int32 {
        guard let deadline else { return -1 }
        let (seconds, attoseconds) = (deadline - now).components
        guard seconds >= 0, seconds > 0 || attoseconds > 0 else { return 0 }
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }

    private func log(_ key: String, _ message: String, now: ContinuousClock.Instant) {
        guard let sink = configuration.log else { return }
        if let last = lastLogged[key], now - last < Self.logInterval { return }
        lastLogged[key] = now
        sink(message)
    }
}
