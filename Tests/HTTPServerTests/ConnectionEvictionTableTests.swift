import Testing
@testable import HTTPServer

/// Who gives way at the connection cap, without sockets.
@Suite struct ConnectionEvictionTableTests {
    typealias Table = ConnectionEvictionTable<Int>

    @Test func admitsBelowTheCap() {
        var table = Table(cap: 3)
        table.insert(1, address: "a", standing: .idle)
        table.insert(2, address: "b", standing: .idle)
        #expect(table.decide(newcomerFrom: "c") == .admit)
        #expect(table.fairShare == 1)
        #expect(Table(cap: 4096).fairShare == 2048)
    }

    @Test func headSendersGiveWayFirstThenTheLongestIdle() {
        var table = Table(cap: 4)
        for key in 1...4 { table.insert(key, address: "client\(key)", standing: .sendingHead) }
        // 2 and 3 were answered and are kept alive: 3 first, so 3 has been idle longest.
        table.update(3, to: .busy)
        table.update(3, to: .idle)
        table.update(2, to: .busy)
        table.update(2, to: .idle)
        #expect(table.decide(newcomerFrom: "new") == .evict(1, standing: .sendingHead, ownAddress: false))
        table.remove(1)
        table.insert(5, address: "new", standing: .busy)
        #expect(table.decide(newcomerFrom: "new2") == .evict(4, standing: .sendingHead, ownAddress: false))
        table.remove(4)
        table.insert(6, address: "new2", standing: .busy)
        #expect(table.decide(newcomerFrom: "new3") == .evict(3, standing: .idle, ownAddress: false))
        // 3 sends another request and is idle again: now 2 has been idle longest.
        table.update(3, to: .sendingHead)
        table.update(3, to: .busy)
        table.update(3, to: .idle)
        #expect(table.decide(newcomerFrom: "new3") == .evict(2, standing: .idle, ownAddress: false))
    }

    /// A connection whose answer is held back on purpose gives way before head-senders and idle ones, its own
    /// address's first.
    @Test func heldAnswersGiveWayFirst() {
        var table = Table(cap: 4)
        table.insert(1, address: "a", standing: .sendingHead)
        table.insert(2, address: "b", standing: .idle)
        table.insert(3, address: "c", standing: .busy)
        table.insert(4, address: "d", standing: .busy)
        #expect(table.decide(newcomerFrom: "e") == .evict(1, standing: .sendingHead, ownAddress: false))
        table.update(4, to: .held)
        #expect(table.decide(newcomerFrom: "e") == .evict(4, standing: .held, ownAddress: false))
        // Released: busy again, never evicted.
        table.update(4, to: .busy)
        #expect(table.decide(newcomerFrom: "e") == .evict(1, standing: .sendingHead, ownAddress: false))

        var hogged = Table(cap: 4)
        for key in 1...4 { hogged.insert(key, address: "hog", standing: .busy) }
        #expect(hogged.decide(newcomerFrom: "hog") == .refuse)
        hogged.update(3, to: .held)
        hogged.update(2, to: .held)
        #expect(hogged.decide(newcomerFrom: "hog") == .evict(3, standing: .held, ownAddress: true))
        #expect(hogged.decide(newcomerFrom: "other") == .evict(3, standing: .held, ownAddress: false))
    }

    @Test func neverEvictsARequestInProgress() {
        var table = Table(cap: 2)
        table.insert(1, address: "a", standing: .busy)
        table.insert(2, address: "b", standing: .sendingHead)
        table.update(2, to: .busy)
        #expect(table.decide(newcomerFrom: "c") == .refuse)
        table.update(2, to: .idle)
        #expect(table.decide(newcomerFrom: "c") == .evict(2, standing: .idle, ownAddress: false))
        table.remove(2)
        #expect(table.decide(newcomerFrom: "c") == .admit)
        #expect(table.count == 1)
    }

    /// Everything on one address (loopback, a proxy): a newcomer from it still gets in, in its own order.
    @Test func aNewcomerFromAnAddressHoldingEverythingReplacesItsOwnLongestIdle() {
        var table = Table(cap: 4)
        for key in 1...4 { table.insert(key, address: "127.0.0.1", standing: .idle) }
        #expect(table.decide(newcomerFrom: "127.0.0.1") == .evict(1, standing: .idle, ownAddress: true))
    }

    /// An address at its share competes with itself only: another address's connection idle longer stays.
    @Test func anAddressAtItsShareMakesRoomAmongItsOwn() {
        var table = Table(cap: 4)
        table.insert(1, address: "b", standing: .idle)
        table.insert(2, address: "b", standing: .idle)
        table.insert(3, address: "a", standing: .idle)
        table.insert(4, address: "a", standing: .sendingHead)
        #expect(table.decide(newcomerFrom: "a") == .evict(4, standing: .sendingHead, ownAddress: true))
        table.update(4, to: .busy)
        #expect(table.decide(newcomerFrom: "a") == .evict(3, standing: .idle, ownAddress: true))
        table.update(3, to: .busy)
        // Both of a's connections have requests in progress: a waits, b keeps its idle connections.
        #expect(table.decide(newcomerFrom: "a") == .refuse)
        #expect(table.decide(newcomerFrom: "c") == .evict(1, standing: .idle, ownAddress: false))
    }

    /// An address over its share gives way before a connection of someone else that has been idle longer.
    @Test func anAddressOverItsShareGivesWayFirst() {
        var table = Table(cap: 4)
        table.insert(1, address: "scraper", standing: .idle)
        for key in 2...4 { table.insert(key, address: "hog", standing: .idle) }
        #expect(table.count(of: "hog") == 3)
        #expect(table.decide(newcomerFrom: "other") == .evict(2, standing: .idle, ownAddress: false))
        table.remove(2)
        table.insert(5, address: "other", standing: .busy)
        // The hog is down to its share: the plain order again, longest idle first.
        #expect(table.decide(newcomerFrom: "third") == .evict(1, standing: .idle, ownAddress: false))
    }

    /// Connections that go back and forth between idle and busy while no newcomer asks leave stale queue items;
    /// the table drops them, so it stays proportional to the connections it holds.
    @Test func staysBoundedUnderChurn() {
        var table = Table(cap: 8)
        for key in 1...3 { table.insert(key, address: "a", standing: .sendingHead) }
        for round in 0..<10_000 {
            let key = 1 + round % 3
            table.update(key, to: .busy)
            table.update(key, to: round % 2 == 0 ? .idle : .sendingHead)
        }
        #expect(table.queuedItemCount <= 4 * (2 * 3 + 16))
        for key in 4...8 { table.insert(key, address: "b", standing: .busy) }
        // The last rounds left 2 sending its head (round 9,997), 3 idle, 1 sending its head (round 9,999); the
        // address over its share, b, has nothing to give.
        #expect(table.decide(newcomerFrom: "c") == .evict(2, standing: .sendingHead, ownAddress: false))
        table.remove(2)
        table.insert(9, address: "c", standing: .busy)
        #expect(table.decide(newcomerFrom: "c") == .evict(1, standing: .sendingHead, ownAddress: false))
    }

    /// A newcomer every moment at the cap, each replacing the longest-idle connection and going idle in turn:
    /// the queues' passed fronts are dropped too.
    @Test func staysBoundedUnderEvictionAtTheCap() {
        var table = Table(cap: 4)
        for key in 0..<4 { table.insert(key, address: "k\(key)", standing: .idle) }
        for key in 4..<10_000 {
            #expect(table.decide(newcomerFrom: "k\(key)") == .evict(key - 4, standing: .idle, ownAddress: false))
            table.remove(key - 4)
            table.insert(key, address: "k\(key)", standing: .sendingHead)
            table.update(key, to: .busy)
            table.update(key, to: .idle)
        }
        #expect(table.queuedItemCount <= 4 * (2 * 4 + 16))
    }
}
