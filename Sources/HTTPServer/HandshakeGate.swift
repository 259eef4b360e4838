/// Which TLS connections may run their handshake now. No sockets and no clock: the event loop reports arrivals and
/// departures with the current instant and asks, on each pass, which handshakes have stalled.
///
/// Why: a server handshake holds about 45 KB until the client's last flight arrives (OpenSSL's 16 KB handshake
/// buffer and 17 KB record buffer among it); a finished connection about 15 KB. A thousand clients connecting at
/// once would hold 45 MB of handshakes at the same moment, and glibc keeps that heap after they finish. At most
/// `limit` run at once; the others wait with their ClientHello unread in the kernel, costing nothing here.
///
/// Waiting must not become a way to lock clients out (as slowloris would): a handshake that has waited on its
/// client for `patience` while others wait is closed to make room (`stalled`), and waiting connections start by
/// turns across client addresses, so one address queueing many connections delays others by one turn, not by
/// its whole queue. Every call costs amortized O(1).
struct HandshakeGate<Key: Hashable> {
    let limit: Int
    let patience: Duration

    private struct Running {
        var stamp: UInt64
        var since: ContinuousClock.Instant
    }

    private struct Waiting {
        var stamp: UInt64
        var address: String
    }

    /// Keys with the stamp they were queued with; an item whose key has moved on (another stamp, or none) is stale,
    /// skipped at the front and swept once stale items outnumber live ones.
    private struct Queue {
        private var items: [(key: Key, stamp: UInt64)] = []
        private var head = 0
        var isEmpty: Bool { head == items.count }
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

    private var running: [Key: Running] = [:]
    /// Running keys in the order they started: the front is the one that has waited longest.
    private var started = Queue()
    private var waiting: [Key: Waiting] = [:]
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

    func isRunning(_ key: Key) -> Bool { running[key] != nil }
    func isWaiting(_ key: Key) -> Bool { waiting[key] != nil }

    /// Queue items held, stale ones included: what the sweeping keeps bounded.
    var queuedItemCount: Int { queues.values.reduce(started.stored) { $0 + $1.stored } + turns.count - turnHead }

    /// A connection arrived: true when its handshake may start now, false when it waits its turn.
    mutating func arrive(_ key: Key, address: String, now: ContinuousClock.Instant) -> Bool {
        precondition(running[key] == nil && waiting[key] == nil, "a key arrived twice")
        if running.count < limit && waiting.isEmpty {
            start(key, now: now)
            return true
        }
        nextStamp += 1
        waiting[key] = Waiting(stamp: nextStamp, address: address)
        if queues[address] == nil {
            queues[address] = Queue()
            turns.append(address)
        }
        let live = waiting.count
        queues[address]!.push(key, stamp: nextStamp, live: live) { [waiting] in waiting[$0]?.stamp == $1 }
        return false
    }

    /// Its handshake finished or failed, or its connection closed, whether running or waiting. Returns the waiting
    /// keys that may start now, in turn.
    mutating func leave(_ key: Key, now: ContinuousClock.Instant) -> [Key] {
        if running.removeValue(forKey: key) == nil {
            waiting.removeValue(forKey: key)
        }
        var admitted: [Key] = []
        while running.count < limit, let next = takeNextWaiting() {
            start(next, now: now)
            admitted.append(next)
        }
        return admitted
    }

    /// Running handshakes that have waited on their clients for `patience` or more while others wait, oldest
    /// first, no more of them than are waiting: the caller closes each and reports it with `leave`.
    mutating func stalled(now: ContinuousClock.Instant) -> [Key] {
        var out: [Key] = []
        while out.count < waiting.count, let key = started.front(isLive: { [running] in running[$0]?.stamp == $1 }),
              let since = running[key]?.since, now - since >= patience {
            out.append(key)
            started.popFront()  // gone from the order now; `leave` removes it from `running`
        }
        return out
    }

    /// When `stalled` may next name a handshake: the longest-running one's patience ends; nil while nobody waits.
    mutating func nextDeadline() -> ContinuousClock.Instant? {
        guard !waiting.isEmpty, let key = started.front(isLive: { [running] in running[$0]?.stamp == $1 }),
              let since = running[key]?.since else { return nil }
        return since + patience
    }

    // MARK: - Steps

    private mutating func start(_ key: Key, now: ContinuousClock.Instant) {
        nextStamp += 1
        running[key] = Running(stamp: nextStamp, since: now)
        let live = running.count
        started.push(key, stamp: nextStamp, live: live) { [running] in running[$0]?.stamp == $1 }
    }

    /// The next address in turn gives its first waiting key, and goes to the back if it has more.
    private mutating func takeNextWaiting() -> Key? {
        while turnHead < turns.count {
            let address = turns[turnHead]
            turnHead += 1
            guard var queue = queues[address] else { continue }
            queues[address] = nil  // no second copy while it is changed
            let key = queue.front { [waiting] in waiting[$0]?.stamp == $1 }
            if let key {
                queue.popFront()
                waiting[key] = nil
            }
            if queue.front(isLive: { [waiting] in waiting[$0]?.stamp == $1 }) != nil {
                queues[address] = queue
                turns.append(address)
            }
            compactTurns()
            if let key { return key }
        }
        return nil
    }

    private mutating func compactTurns() {
        if turnHead >= 16 && turnHead * 2 >= turns.count {
            turns.removeSubrange(0..<turnHead)
            turnHead = 0
        }
    }
}
