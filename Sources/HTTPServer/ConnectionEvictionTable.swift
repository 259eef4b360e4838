/// Which open connection gives way when a newcomer arrives at the connection cap. No sockets and no clock: the
/// event loop reports each connection's standing as it changes, and asks for a decision only at the cap.
///
/// The order, so that neither half-sent heads (slowloris), nor idle keep-alive connections, nor connections
/// waiting out a deliberately held answer (a refusal held a second so that retrying costs the exporter nothing)
/// can lock clients out:
/// 1. A newcomer whose address already holds its fair share (`fairShare`) makes room among its own connections
///    only: one whose answer is being held, else its oldest head-sender, else its longest-idle keep-alive
///    connection; when it has none of these, it is refused. So a client hogging the listener competes with itself, and a fresh connection from that same
///    address (say, everything on loopback) is still served while one of its connections is evictable.
/// 2. Else, an address holding more than its share gives way first, in the same order.
/// 3. Else the longest-held connection of any address, then the oldest head-sender, then the longest-idle
///    keep-alive connection.
/// 4. Else (every connection has a request in progress) the newcomer is refused.
///
/// "Oldest" and "longest idle" mean longest in that standing: a kept-alive connection that starts a new request
/// head joins the head-senders at the back. Each standing keeps a queue in the order connections entered it;
/// a connection that leaves a standing leaves a stale entry behind, skipped when it reaches the front and
/// swept out once stale entries outnumber live ones (plus a few), so every call costs amortized O(1), never a
/// scan of all connections.
struct ConnectionEvictionTable<Key: Hashable> {
    enum Standing: Equatable {
        /// Accepted, or a request head arriving; nothing to answer yet.
        case sendingHead
        /// Kept alive between requests: no request in progress, nothing to send.
        case idle
        /// Its answer is ready but held back on purpose until an instant (`HTTPResponse.notBefore`): a refusal
        /// or a failed login slowed down. Closing it loses nothing a well-behaved client was owed.
        case held
        /// A body arriving, a request being handled or answered, or the connection closing: never evicted.
        case busy
    }

    enum Decision: Equatable {
        /// Below the cap.
        case admit
        /// Close this connection, then admit the newcomer. `standing` is the victim's; `ownAddress` tells whether
        /// it was the newcomer's own address that held its share.
        case evict(Key, standing: Standing, ownAddress: Bool)
        /// Every connection the rules allow to give way has a request in progress.
        case refuse
    }

    /// Open connections, at most this many when the caller follows the decisions.
    let cap: Int
    /// The most connections one address holds at the cap before its own connections are the ones to give way:
    /// half the cap, so one address never locks out the rest, yet a single client (a proxy, loopback) can still
    /// use the whole cap while nobody else wants in.
    let fairShare: Int

    private struct Entry {
        var address: String
        var standing: Standing
        /// Unique per entry into a standing: queue items carrying an older stamp are stale.
        var stamp: UInt64
    }

    /// Keys in the order they entered one standing, with stale items left behind by those that moved on.
    private struct Queue {
        private var items: [(key: Key, stamp: UInt64)] = []
        private var head = 0
        /// Items still in this standing.
        private(set) var live = 0
        /// Slots held: live items, stale ones, and those already passed at the front.
        var stored: Int { items.count }

        mutating func push(_ key: Key, stamp: UInt64, entries: [Key: Entry]) {
            items.append((key, stamp))
            live += 1
            // Kept within twice the live items (plus a few), so memory stays bounded however often
            // connections change standing without anyone asking for a victim; amortized O(1).
            if items.count - head > 2 * live + 16 {
                items = items[head...].filter { entries[$0.key]?.stamp == $0.stamp }
                head = 0
            }
        }

        /// One item left this standing; its entry in `items` is now stale.
        mutating func left() { live -= 1 }

        /// The live item that entered first, dropping stale ones before it; it stays queued.
        mutating func front(entries: [Key: Entry]) -> Key? {
            while head < items.count {
                let item = items[head]
                if entries[item.key]?.stamp == item.stamp {
                    // Passed slots go once they are half the array: amortized O(1), and bounded memory when
                    // evictions at the cap keep moving the front.
                    if head >= 16 && head * 2 >= items.count {
                        items.removeSubrange(0..<head)
                        head = 0
                    }
                    return item.key
                }
                head += 1
            }
            items.removeAll(keepingCapacity: true)
            head = 0
            return nil
        }
    }

    private struct Client {
        var count = 0
        var helds = Queue()
        var heads = Queue()
        var idles = Queue()
    }

    private var entries: [Key: Entry] = [:]
    private var clients: [String: Client] = [:]
    private var helds = Queue()
    private var heads = Queue()
    private var idles = Queue()
    /// Addresses holding more than `fairShare`: at most one while no more than `cap` are open.
    private var overShare: Set<String> = []
    private var nextStamp: UInt64 = 0

    init(cap: Int) {
        self.cap = max(1, cap)
        fairShare = max(1, self.cap / 2)
    }

    var count: Int { entries.count }

    func count(of address: String) -> Int { clients[address]?.count ?? 0 }

    func standing(of key: Key) -> Standing? { entries[key]?.standing }

    /// Queue items held, stale ones included: what the sweeping keeps bounded.
    var queuedItemCount: Int {
        clients.values.reduce(helds.stored + heads.stored + idles.stored) {
            $0 + $1.helds.stored + $1.heads.stored + $1.idles.stored
        }
    }

    // MARK: - Reports from the event loop

    mutating func insert(_ key: Key, address: String, standing: Standing) {
        remove(key)
        clients[address, default: Client()].count += 1
        if count(of: address) > fairShare { overShare.insert(address) }
        enter(key, address: address, standing: standing)
    }

    /// Cheap when the standing did not change: the loop calls it after every event on a connection.
    mutating func update(_ key: Key, to standing: Standing) {
        guard let entry = entries[key], entry.standing != standing else { return }
        leave(entry)
        enter(key, address: entry.address, standing: standing)
    }

    mutating func remove(_ key: Key) {
        guard let entry = entries.removeValue(forKey: key) else { return }
        leave(entry)
        clients[entry.address]?.count -= 1
        let remaining = count(of: entry.address)
        if remaining <= fairShare { overShare.remove(entry.address) }
        if remaining == 0 { clients[entry.address] = nil }
    }

    // MARK: - At the cap

    /// What to do with a newcomer from `address`. Changes nothing the caller sees: the caller closes the victim
    /// (and removes it), then inserts the newcomer.
    mutating func decide(newcomerFrom address: String) -> Decision {
        guard entries.count >= cap else { return .admit }
        if count(of: address) >= fairShare {
            if let (key, standing) = evictable(of: address) {
                return .evict(key, standing: standing, ownAddress: true)
            }
            return .refuse
        }
        for hog in overShare {
            if let (key, standing) = evictable(of: hog) { return .evict(key, standing: standing, ownAddress: false) }
        }
        if let key = helds.front(entries: entries) { return .evict(key, standing: .held, ownAddress: false) }
        if let key = heads.front(entries: entries) { return .evict(key, standing: .sendingHead, ownAddress: false) }
        if let key = idles.front(entries: entries) { return .evict(key, standing: .idle, ownAddress: false) }
        return .refuse
    }

    private mutating func evictable(of address: String) -> (Key, Standing)? {
        guard clients[address] != nil else { return nil }
        if let key = clients[address]!.helds.front(entries: entries) { return (key, .held) }
        if let key = clients[address]!.heads.front(entries: entries) { return (key, .sendingHead) }
        if let key = clients[address]!.idles.front(entries: entries) { return (key, .idle) }
        return nil
    }

    // MARK: - Steps

    private mutating func enter(_ key: Key, address: String, standing: Standing) {
        nextStamp += 1
        let stamp = nextStamp
        entries[key] = Entry(address: address, standing: standing, stamp: stamp)
        switch standing {
        case .sendingHead:
            heads.push(key, stamp: stamp, entries: entries)
            clients[address]!.heads.push(key, stamp: stamp, entries: entries)
        case .idle:
            idles.push(key, stamp: stamp, entries: entries)
            clients[address]!.idles.push(key, stamp: stamp, entries: entries)
        case .held:
            helds.push(key, stamp: stamp, entries: entries)
            clients[address]!.helds.push(key, stamp: stamp, entries: entries)
        case .busy:
            break
        }
    }

    /// Before the entry's stamp is replaced or removed: its queue items become stale.
    private mutating func leave(_ entry: Entry) {
        switch entry.standing {
        case .sendingHead:
            heads.left()
            clients[entry.address]?.heads.left()
        case .idle:
            idles.left()
            clients[entry.address]?.idles.left()
        case .held:
            helds.left()
            clients[entry.address]?.helds.left()
        case .busy:
            break
        }
    }
}
