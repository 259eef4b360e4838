/// Which TLS connections may run their handshake now. No sockets and no clock: the event loop reports arrivals and
/// departures with the current instant and asks, on each pass, which waiting connections are overdue.
///
/// Why: a server handshake holds about 45 KB until the client's last flight arrives (OpenSSL's 16 KB handshake
/// buffer and 17 KB record buffer among it); a finished connection about 15 KB. A thousand clients connecting at
/// once would hold 45 MB of handshakes at the same moment, and glibc keeps that heap after they finish. So at most
/// `limit` run at once, and the others wait with their ClientHello unread in the kernel, costing nothing here.
///
/// The gate smooths bursts; it never locks anyone out. A connection that has waited `patience` starts even past the
/// limit (`overdue`), so clients that stall their handshakes, from however many addresses, delay others by
/// `patience` at most, and cost memory as they would without the gate. Waiting connections start by turns across
/// client addresses, so one address queueing many delays another by one turn, not by its whole queue. Every call
/// costs amortized O(1).
struct HandshakeGate<Key: Hashable> {
    let limit: Int
    let patience: Duration

    private struct Waiting {
        var stamp: UInt64
        var address: String
        var since: ContinuousClock.Instant
    }

    /// Keys with the stamp they were queued with; an item whose key has moved on (another stamp, or none) is stale,
    /// skipped at the front and swept once stale items outnumber live ones.
    private struct Queue {
        private var items: [(key: Key, stamp: UInt64)] = []
        private var head = 0
        var stored: Int { items.count }

        mutating func push(_ key: Key, stamp: UInt64, live: Int, isLive: (Key, UInt64) -> Bool) {
            items.append((key, stamp))
            if items.count - head > 2 * live + 16 {
                items = items[head...].filter { isLive($0.key, $0.stamp) }
                head = 0
            }
        }

        /// The first live item, left queued; stale ones before it are dropped.
        mutating func front(isLive: (Key, UInt64) -> Bool) -> Key? {
            while head < items.count {
                if isLive(items[head].key, items[head].stamp) {
                    dropPassed()
                    return items[head].key
                }
                head += 1
            }
            items.removeAll(keepingCapacity: true)
            head = 0
            return nil
        }

        mutating func popFront() {
            head += 1
            dropPassed()
        }

        /// Passed slots go once they are half the array: amortized O(1).
        private mutating func dropPassed() {
            if head >= 16 && head * 2 >= items.count {
                items.removeSubrange(0..<head)
                head = 0
            }
        }
    }

    private var running: Set<Key> = []
    private var waiting: [Key: Waiting] = [:]
    /// Every waiting key, first come first: the front has waited longest.
    private var arrivals = Queue()
    /// Each address's waiting keys, first come first.
    private var queues: [String: Queue] = [:]
    /// Addresses with waiting keys, in turn; an address whose queue runs dry leaves when its turn comes.
    private var turns: [String] = []
    private var turnHead = 0
    private var nextStamp: UInt64 = 0

    init(limit: Int, patience: Duration) {
        self.limit = max(1, limit)
        self.patience = patience
    }

    var runningCount: Int { running.count }
    var waitingCount: Int { waiting.count }

    func isRunning(_ key: Key) -> Bool { running.contains(key) }
    func isWaiting(_ key: Key) -> Bool { waiting[key] != nil }

    /// Queue items held, stale ones included: what the sweeping keeps bounded.
    var queuedItemCount: Int { queues.values.reduce(arrivals.stored) { $0 + $1.stored } + turns.count - turnHead }

    /// A connection arrived: true when its handshake may start now, false when it waits its turn.
    mutating func arrive(_ key: Key, address: String, now: ContinuousClock.Instant) -> Bool {
        precondition(!running.contains(key) && waiting[key] == nil, "a key arrived twice")
        if running.count < limit && waiting.isEmpty {
            running.insert(key)
            return true
        }
        nextStamp += 1
        let stamp = nextStamp
        waiting[key] = Waiting(stamp: stamp, address: address, since: now)
        if queues[address] == nil {
            queues[address] = Queue()
            turns.append(address)
        }
        let live = waiting.count
        arrivals.push(key, stamp: stamp, live: live) { [waiting] in waiting[$0]?.stamp == $1 }
        queues[address]!.push(key, stamp: stamp, live: live) { [waiting] in waiting[$0]?.stamp == $1 }
        return false
    }

    /// Its handshake finished or failed, or its connection closed, whether running or waiting. Returns the waiting
    /// keys that may start now, in turn.
    mutating func leave(_ key: Key) -> [Key] {
        if running.remove(key) == nil {
            waiting.removeValue(forKey: key)
        }
        var started: [Key] = []
        while running.count < limit, let next = takeNextInTurn() {
            started.append(next)
        }
        return started
    }

    /// Waiting keys that have waited `patience` or more, oldest first: they start now, past the limit.
    mutating func overdue(now: ContinuousClock.Instant) -> [Key] {
        guard !waiting.isEmpty else { return [] }  // every pass of the loop asks, a plain listener too
        var started: [Key] = []
        while let key = arrivals.front(isLive: { [waiting] in waiting[$0]?.stamp == $1 }),
              let since = waiting[key]?.since, now - since >= patience {
            arrivals.popFront()
            waiting[key] = nil  // its item in its address's queue is stale now
            running.insert(key)
            started.append(key)
        }
        return started
    }

    /// When `overdue` may next name a key: the longest-waiting one's patience ends; nil while nobody waits.
    mutating func nextDeadline() -> ContinuousClock.Instant? {
        guard !waiting.isEmpty, let key = arrivals.front(isLive: { [waiting] in waiting[$0]?.stamp == $1 }),
              let since = waiting[key]?.since else { return nil }
        return since + patience
    }

    // MARK: - Steps

    /// The next address in turn gives its first waiting key, which starts; the address goes to the back if it has more.
    private mutating func takeNextInTurn() -> Key? {
        while turnHead < turns.count {
            let address = turns[turnHead]
            turnHead += 1
            guard var queue = queues[address] else { continue }
            queues[address] = nil  // no second copy while it is changed
            let key = queue.front { [waiting] in waiting[$0]?.stamp == $1 }
            if let key {
                queue.popFront()
                waiting[key] = nil  // its item in `arrivals` is stale now
                running.insert(key)
            }
            if queue.front(isLive: { [waiting] in waiting[$0]?.stamp == $1 }) != nil {
                queues[address] = queue
                turns.append(address)
            }
            if turnHead >= 16 && turnHead * 2 >= turns.count {
                turns.removeSubrange(0..<turnHead)
                turnHead = 0
            }
            if let key { return key }
        }
        return nil
    }
}
