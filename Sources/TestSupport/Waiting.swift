import Foundation

/// Waits (at most `timeout` seconds, by the clock, however slowly sleeps return on a loaded machine) until
/// `condition` holds, checking every 50 ms; its last answer. For what another thread or process does on its own
/// time (a server's counters, a child's scrape), never to show that something did *not* happen.
public func eventually(timeout: Double = 15, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// Runs blocking code (socket reads, a lock another thread holds) on a thread of its own, so tests never block
/// Swift's cooperative pool; the test awaits it, so expectations stay in the test's own context.
public func onThread<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, E>, Never>) in
        Thread { continuation.resume(returning: Result { () throws(E) -> T in try body() }) }.start()
    }
    return try result.get()
}
