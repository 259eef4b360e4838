import Configuration
import Exposition
import RunStatusModel
import Synchronization

/// The series budget `max_series` is counted in. A run costs its per-run families at most (the seven
/// `run_state` series, `run_info` and five gauges), or nothing when its target has `per_run_metrics: false`;
/// a target costs its aggregates. Exporter-wide families (build info, process, HTTP) are not counted.
package enum SeriesBudget {
    package static let perRun = RunState.allCases.count + 1 + 5

    package static func perTarget(discovery: Bool) -> Int {
        let histogram = { (h: Histogram) in h.bounds.count + 3 }  // buckets, +Inf, _sum, _count
        return RunState.allCases.count  // runstatus_runs
            + 3  // up, polls_total, last_poll_success
            + PollErrorReason.allCases.count
            + histogram(Histogram(bounds: Histogram.pollDurationBounds))
            + TargetEntry.terminalStates.count * (1 + histogram(Histogram(bounds: Histogram.runDurationBounds)))
            + 3  // unmapped_states_total, rate_limit_waits_total, series_dropped_total
            + (discovery ? 1 : 0)  // discovered_runs
    }
}
