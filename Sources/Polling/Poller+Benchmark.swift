import Configuration
import Logging
import RunStatusModel
import RunStore

extension Poller {
    /// One poll cycle of every target of `config`, all at once and sharing one `max_concurrency` limit as the
    /// loops of `start` do; returns when every request has been answered and recorded. No loop, no sleep, no
    /// readiness bookkeeping: for `runstatus-bench`, which times a cycle and its CPU cost.
    public func pollOnce(_ config: ExporterConfig) async {
        let limiter = ConcurrencyLimiter(limit: config.maxConcurrency)
        await withTaskGroup(of: Void.self) { group in
            for target in config.targets {
                group.addTask { [self] in _ = await cycle(target, config: config, limiter: limiter) }
            }
        }
    }
}
