import Testing
@testable import HTTPServer

/// Which TLS handshakes run at once, without sockets: instants are made from one start.
@Suite struct HandshakeGateTests {
    /// The gate behind a reference, so that `#expect` can call its mutating methods.
    final class Gate {
        var gate: HandshakeGate<Int>
        init(limit: Int, patience: Duration) { gate = HandshakeGate(limit: limit, patience: patience) }
        func arrive(_ key: Int, address: String, now: ContinuousClock.Instant) -> Bool { gate.arrive(key, address: address, now: now) }
        func leave(_ key: Int, now: ContinuousClock.Instant) -> [Int] { gate.leave(key, now: now) }
        func stalled(now: ContinuousClock.Instant) -> [Int] { gate.stalled(now: now) }
        func nextDeadline() -> ContinuousClock.Instant? { gate.nextDeadline() }
        var runningCount: Int { gate.runningCount }
        var waitingCount: Int { gate.waitingCount }
        var queuedItemCount: Int { gate.queuedItemCount }
        func isRunning(_ key: Int) -> Bool { gate.isRunning(key) }
        func isWaiting(_ key: Int) -> Bool { gate.isWaiting(key) }
    }
    let start = ContinuousClock.now
    func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    @Test func upToTheLimitStartAtOnceAndTheRestWaitForASlot() {
        let gate = Gate(limit: 2, patience: .seconds(1))
        #expect(gate.arrive(1, address: "a", now: at(0)))
        #expect(gate.arrive(2, address: "b", now: at(0)))
        #expect(!gate.arrive(3, address: "c", now: at(0)))
        #expect(!gate.arrive(4, address: "d", now: at(0)))
        #expect(gate.runningCount == 2 && gate.waitingCount == 2)
        #expect(gate.leave(1, now: at(5)) == [3])
        #expect(gate.isRunning(3) && !gate.isWaiting(3))
        // A newcomer never jumps those already waiting, even when a slot is free for a moment.
        #expect(gate.leave(2, now: at(6)) == [4])
        #expect(gate.leave(3, now: at(7)).isEmpty)
        #expect(gate.arrive(5, address: "e", now: at(8)))
        #expect(gate.runningCount == 2 && gate.waitingCount == 0)
    }

    @Test func aWaitingConnectionThatClosesNeverStarts() {
        let gate = Gate(limit: 1, patience: .seconds(1))
        #expect(gate.arrive(1, address: "a", now: at(0)))
        #expect(!gate.arrive(2, address: "b", now: at(0)))
        #expect(!gate.arrive(3, address: "c", now: at(0)))
        #expect(gate.leave(2, now: at(1)).isEmpty)  // closed while waiting: its head timeout, say
        #expect(gate.leave(1, now: at(2)) == [3])
        #expect(gate.waitingCount == 0)
    }

    /// One address queueing many connections delays another address by one turn, not by its whole queue.
    @Test func waitingConnectionsStartByTurnsAcrossAddresses() {
        let gate = Gate(limit: 1, patience: .seconds(1))
        #expect(gate.arrive(0, address: "busy", now: at(0)))
        for key in 1...5 { #expect(!gate.arrive(key, address: "busy", now: at(0))) }
        #expect(!gate.arrive(10, address: "scraper", now: at(1)))
        var order: [Int] = []
        var current = 0
        while let next = gate.leave(current, now: at(2)).first {
            order.append(next)
            current = next
        }
        #expect(order == [1, 10, 2, 3, 4, 5])
    }

    /// A handshake waiting on its client gives way after `patience`, and only when someone waits for its slot.
    @Test func stalledHandshakesGiveWayOnlyToThoseWaiting() {
        let gate = Gate(limit: 2, patience: .seconds(1))
        #expect(gate.arrive(1, address: "slow", now: at(0)))
        #expect(gate.arrive(2, address: "slow", now: at(400)))
        #expect(gate.stalled(now: at(5_000)).isEmpty, "nobody waits: slow clients keep their slots")
        #expect(gate.nextDeadline() == nil)

        #expect(!gate.arrive(3, address: "scraper", now: at(5_000)))
        #expect(gate.nextDeadline() == at(1_000))
        #expect(gate.stalled(now: at(5_000)) == [1], "one waits: one gives way, the oldest")
        #expect(gate.leave(1, now: at(5_000)) == [3])
        #expect(gate.nextDeadline() == nil)

        #expect(!gate.arrive(4, address: "scraper", now: at(5_010)))
        #expect(gate.nextDeadline() == at(1_400))
        #expect(gate.stalled(now: at(5_010)) == [2])
        #expect(gate.leave(2, now: at(5_010)) == [4])
        // 3 and 4 started at 5,000 and 5,010: young, so a newcomer waits for them.
        #expect(!gate.arrive(5, address: "scraper", now: at(5_020)))
        #expect(gate.stalled(now: at(5_500)).isEmpty)
        #expect(gate.nextDeadline() == at(6_000))
        #expect(gate.stalled(now: at(6_000)) == [3])
    }

    /// Connections arriving and leaving without end keep the queues' bookkeeping bounded.
    @Test func churnKeepsTheQueuesBounded() {
        let gate = Gate(limit: 4, patience: .seconds(1))
        var key = 0
        var open: [Int] = []
        for round in 0..<5_000 {
            key += 1
            _ = gate.arrive(key, address: "client\(round % 7)", now: at(round))
            open.append(key)
            if open.count > 10 {
                let leaving = open.removeFirst()
                _ = gate.leave(leaving, now: at(round))
            }
            for stalled in gate.stalled(now: at(round)) {
                open.removeAll { $0 == stalled }
                _ = gate.leave(stalled, now: at(round))
            }
            _ = gate.nextDeadline()
            #expect(gate.queuedItemCount <= 80, "round \(round): \(gate.queuedItemCount) queued items")
        }
        #expect(gate.runningCount + gate.waitingCount == open.count)
    }
}
