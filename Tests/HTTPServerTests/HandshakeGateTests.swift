import Testing
@testable import HTTPServer

/// Which TLS handshakes run at once, without sockets: instants are made from one start.
@Suite struct HandshakeGateTests {
    /// The gate behind a reference, so that `#expect` can call its mutating methods.
    final class Gate {
        var gate: HandshakeGate<Int>
        init(limit: Int, patience: Duration) { gate = HandshakeGate(limit: limit, patience: patience) }
        func arrive(_ key: Int, address: String, now: ContinuousClock.Instant) -> Bool { gate.arrive(key, address: address, now: now) }
        func leave(_ key: Int) -> [Int] { gate.leave(key) }
        func overdue(now: ContinuousClock.Instant) -> [Int] { gate.overdue(now: now) }
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
        #expect(gate.leave(1) == [3])
        #expect(gate.isRunning(3) && !gate.isWaiting(3))
        #expect(gate.leave(2) == [4])
        #expect(gate.leave(3).isEmpty)
        #expect(gate.arrive(5, address: "e", now: at(8)))
        #expect(gate.runningCount == 2 && gate.waitingCount == 0)
    }

    /// A newcomer never jumps those already waiting, even when it finds a slot free for a moment.
    @Test func aNewcomerQueuesBehindThoseWaiting() {
        let gate = Gate(limit: 1, patience: .seconds(1))
        #expect(gate.arrive(1, address: "a", now: at(0)))
        #expect(!gate.arrive(2, address: "b", now: at(0)))
        #expect(gate.overdue(now: at(1_000)) == [2])  // 2 now runs past the limit, beside 1
        #expect(gate.leave(1).isEmpty)
        #expect(!gate.arrive(3, address: "c", now: at(1_001)), "2 still holds the one slot")
        #expect(gate.leave(2) == [3])
    }

    @Test func aWaitingConnectionThatClosesNeverStarts() {
        let gate = Gate(limit: 1, patience: .seconds(1))
        #expect(gate.arrive(1, address: "a", now: at(0)))
        #expect(!gate.arrive(2, address: "b", now: at(0)))
        #expect(!gate.arrive(3, address: "c", now: at(0)))
        #expect(gate.leave(2).isEmpty)  // closed while waiting: its head timeout, say
        #expect(gate.overdue(now: at(5_000)) == [3])
        #expect(gate.leave(1).isEmpty)
        #expect(gate.waitingCount == 0 && gate.runningCount == 1)
    }

    /// One address queueing many connections delays another address by one turn, not by its whole queue.
    @Test func waitingConnectionsStartByTurnsAcrossAddresses() {
        let gate = Gate(limit: 1, patience: .seconds(1))
        #expect(gate.arrive(0, address: "busy", now: at(0)))
        for key in 1...5 { #expect(!gate.arrive(key, address: "busy", now: at(0))) }
        #expect(!gate.arrive(10, address: "scraper", now: at(1)))
        var order: [Int] = []
        var current = 0
        while let next = gate.leave(current).first {
            order.append(next)
            current = next
        }
        #expect(order == [1, 10, 2, 3, 4, 5])
    }

    /// Slots held by handshakes that never finish (stalled clients) delay a waiting connection by `patience`, then
    /// it starts past the limit: nobody is locked out, however many stall.
    @Test func waitingConnectionsStartPastTheLimitOncePatienceRunsOut() {
        let gate = Gate(limit: 2, patience: .seconds(1))
        #expect(gate.nextDeadline() == nil)
        #expect(gate.arrive(1, address: "staller1", now: at(0)))
        #expect(gate.arrive(2, address: "staller2", now: at(0)))
        #expect(!gate.arrive(3, address: "staller3", now: at(100)))
        #expect(!gate.arrive(4, address: "scraper", now: at(400)))
        #expect(gate.nextDeadline() == at(1_100))
        #expect(gate.overdue(now: at(1_099)).isEmpty)
        #expect(gate.overdue(now: at(1_100)) == [3])
        #expect(gate.nextDeadline() == at(1_400))
        #expect(gate.overdue(now: at(1_400)) == [4])
        #expect(gate.isRunning(4) && gate.runningCount == 4 && gate.waitingCount == 0)
        #expect(gate.nextDeadline() == nil)
        // Over the limit, nobody new starts until fewer than the limit run.
        #expect(!gate.arrive(5, address: "scraper", now: at(1_500)))
        #expect(gate.leave(1).isEmpty && gate.leave(2).isEmpty)
        #expect(gate.leave(3) == [5])
    }

    /// Connections arriving and leaving without end keep the queues' bookkeeping bounded.
    @Test func churnKeepsTheQueuesBounded() {
        let gate = Gate(limit: 4, patience: .milliseconds(30))
        var key = 0
        var open: [Int] = []
        for round in 0..<5_000 {
            key += 1
            _ = gate.arrive(key, address: "client\(round % 7)", now: at(round))
            open.append(key)
            if open.count > 10 {
                _ = gate.leave(open.removeFirst())
            }
            _ = gate.overdue(now: at(round))
            _ = gate.nextDeadline()
            #expect(gate.queuedItemCount <= 80, "round \(round): \(gate.queuedItemCount) queued items")
        }
        #expect(gate.runningCount + gate.waitingCount == open.count)
    }
}
