import Dispatch
import Glibc
import Synchronization
import TestSupport
import Testing
@testable import HTTPServer

/// `HTTPServerConfiguration.route` and `HTTPResponse.notBefore`: work sent to the slow lane never holds a worker,
/// and a response held until an instant holds no thread.
@Suite(.timeLimit(.minutes(1))) struct HTTPRouteTests {
    @Test func heldResponsesLeaveInDueOrderAndOnlyWhenDue() {
        let t0 = ContinuousClock.now
        var held = HeldResponses<String>()
        #expect(held.nextDue == nil && held.takeDue(now: t0 + .seconds(100)).isEmpty)
        held.hold("c", until: t0 + .seconds(3))
        held.hold("a", until: t0 + .seconds(1))
        held.hold("b", until: t0 + .seconds(3))
        held.hold("z", until: t0 + .seconds(1))
        #expect(held.nextDue == t0 + .seconds(1))
        #expect(held.takeDue(now: t0 + .milliseconds(999)).isEmpty)
        #expect(held.takeDue(now: t0 + .seconds(1)) == ["a", "z"])
        #expect(held.nextDue == t0 + .seconds(3))
        #expect(held.takeDue(now: t0 + .seconds(10)) == ["c", "b"])
        #expect(held.isEmpty && held.nextDue == nil)
    }

    @Test func aBlockedSlowLaneLeavesTheWorkersFree() async throws {
        let release = DispatchSemaphore(value: 0)
        let slowStarted = Atomic<Int>(0)
        let slow: HTTPServer.Handler = { _ in
            slowStarted.add(1, ordering: .relaxed)
            release.wait()
            return .text(200, "slow")
        }
        try await withServer({ configuration in
            configuration.workerCount = 1
            configuration.route = { request in request.path == "/slow" ? .slowLane(slow) : .workers }
        }, handler: { _ in .text(200, "fast") }) { _, port in
            let slowClient = try await TestClient.connect(port: port)
            try await slowClient.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(await eventually { slowStarted.load(ordering: .relaxed) == 1 })
            // A second slow request queues behind the first on the slow lane, not on the worker.
            let secondSlow = try await TestClient.connect(port: port)
            try await secondSlow.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
            // The only worker answers while the slow lane is stuck (had the slow handler taken it, this would
            // wait for `release` and time out).
            let fast = try await TestClient.connect(port: port)
            for _ in 0..<3 {
                try await fast.send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try await fast.response().text == "fast")
            }
            #expect(slowStarted.load(ordering: .relaxed) == 1)
            release.signal()
            release.signal()
            #expect(try await slowClient.response().text == "slow")
            #expect(try await secondSlow.response().text == "slow")
        }
    }

    @Test func aResponseHeldUntilNotBeforeHoldsNoWorker() async throws {
        // Long enough that a loaded machine answers the third request well before the two held ones are due.
        let hold: Duration = .seconds(5)
        try await withServer({ configuration in
            configuration.workerCount = 1
            configuration.route = { request in
                guard request.path == "/answer-held" else { return .workers }
                var response = HTTPResponse.text(429, "held by the loop")
                response.notBefore = .now + hold
                return .respond(response)
            }
        }, handler: { request in
            var response = HTTPResponse.text(200, "worker \(request.path)")
            if request.path == "/worker-held" { response.notBefore = .now + hold }
            return response
        }) { _, port in
            let start = ContinuousClock.now
            let fromWorker = try await TestClient.connect(port: port)
            try await fromWorker.send("GET /worker-held HTTP/1.1\r\nHost: t\r\n\r\n")
            let fromLoop = try await TestClient.connect(port: port)
            try await fromLoop.send("GET /answer-held HTTP/1.1\r\nHost: t\r\n\r\n")
            // The single worker is free again at once: this answer comes while both others are still held.
            let other = try await TestClient.connect(port: port)
            try await other.send("GET /now HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await other.response().text == "worker /now")
            #expect(try await !fromWorker.readable(within: 0))
            #expect(try await !fromLoop.readable(within: 0))

            let held = try await fromWorker.response()
            #expect(held.text == "worker /worker-held")
            let refused = try await fromLoop.response()
            #expect(refused.status == 429 && refused.text == "held by the loop")
            #expect(ContinuousClock.now - start >= hold)
        }
    }
}
