import Threading

/// A fixed set of threads running jobs in arrival order. Handlers run here, never on the event loop, so a
/// /metrics render taking tens of milliseconds delays no other connection.
final class WorkerPool: @unchecked Sendable {  // all mutable state is guarded by `lock`
    typealias Job = @Sendable () -> Void

    private let lock = ConditionLock()
    private var jobs: [Job] = []
    private var nextJob = 0
    private var closed = false
    private var alive = 0

    init(threads: Int, name: String) throws(HTTPServerError) {
        for index in 0..<max(1, threads) {
            lock.withLock { alive += 1 }
            do {
                try OSThread.spawn(name: "\(name)-\(index)", detached: true) { [self] in work() }
            } catch {
                lock.withLock { alive -= 1 }
                _ = shutdown(waiting: .zero)
                throw error
            }
        }
    }

    func submit(_ job: @escaping Job) {
        lock.withLock {
            guard !closed else { return }
            jobs.append(job)
            lock.signal()
        }
    }

    /// Drops queued jobs, lets running ones finish, and waits up to `wait` for every thread to exit.
    /// Returns how many are still running a job (a handler that outlived the grace period); they exit on their own.
    func shutdown(waiting wait: Duration) -> Int {
        let deadline = ConditionLock.deadline(after: wait)
        return lock.withLock {
            closed = true
            jobs = []
            nextJob = 0
            lock.broadcast()
            while alive > 0 {
                if !lock.wait(until: deadline) { break }
            }
            return alive
        }
    }

    private func work() {
        while let job = nextJobOrExit() { job() }
    }

    private func nextJobOrExit() -> Job? {
        lock.withLock {
            while nextJob == jobs.count && !closed { lock.wait() }
            guard !closed else {
                alive -= 1
                lock.broadcast()
                return nil
            }
            let job = jobs[nextJob]
            nextJob += 1
            // Reuse the array instead of shifting it on every job.
            if nextJob == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                nextJob = 0
            }
            return job
        }
    }
}
