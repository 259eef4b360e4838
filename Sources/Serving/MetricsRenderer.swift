import Configuration
import Exposition
import Logging
import RunStatusModel
import RunStore

/// Turns a store snapshot into an exposition. Families come in one fixed order, targets in config order and runs in
/// config order, so two scrapes of the same state are byte-identical.
struct MetricsRenderer {
    static let helpSuffix = " (from background polling of the vendor API)."

    /// HTTP request counters of the exporter's own listener, keyed by (handler, code).
    var httpRequests: [HTTPCounterKey: UInt64] = [:]
    var process = ProcessMetrics()
    /// The web config's reloads; nil without a web config.
    var webConfigReloads: (lastSuccessful: Bool, successes: UInt64, failures: UInt64)?
    /// The previous body's size: reserving it (plus a little) once avoids growing a 13 MB buffer by doubling,
    /// which briefly holds both copies and leaves the larger one in the allocator.
    var capacityHint = 0

    func render(_ s: StoreState, now: Double, format: ExpositionFormat) -> (body: [UInt8], samples: Int) {
        let runCount = s.targets.reduce(0) { $0 + $1.runs.count }
        // Generous on purpose: a large buffer is mmap'd and its untouched pages cost no memory, while outgrowing it
        // means a copy into one twice the size (both alive at once). A run takes about 1.3 KB of text.
        let capacity = capacityHint > 0 ? capacityHint + capacityHint / 32 + 4096
                                        : 64 * 1024 + s.targets.count * 16 * 1024 + runCount * 2048
        var w = ExpositionWriter(format: format, reservingCapacity: capacity)
        renderRuns(s, now: now, into: &w)
        renderTargets(s, into: &w)
        renderExporter(s, into: &w)
        let count = w.sampleCount
        return (w.finish(), count)
    }

    private func help(_ text: String) -> String { text + Self.helpSuffix }

    private func renderRuns(_ s: StoreState, now: Double, into w: inout ExpositionWriter) {
        // `per_run_metrics: false` leaves a target's runs out here; its aggregates below still count them.
        guard s.targets.contains(where: { $0.perRunMetrics && !$0.runs.isEmpty }) else { return }

        w.family("runstatus_run_state", type: .gauge,
                 help: help("Normalized state of a run: 1 for the current state, 0 for the others"))
        Self.forEachRun(s) { run in
            let current = run.state
            for state in RunState.allCases {
                w.sample("runstatus_run_state", run.labels, "state", state.rawValue, value: state == current ? 1 : 0)
            }
        }

        w.family("runstatus_run_info", type: .info,
                 help: help("The vendor's own state value of a run and the run's configured labels; always 1"))
        Self.forEachRun(s) { run in
            guard let vendorState = run.observation?.vendorState else { return }
            var labels = run.labels.appending("vendor_state", vendorState)
            for p in run.runLabels { labels.append(p.name, p.value) }
            w.sample("runstatus_run_info", labels, value: 1)
        }

        family(s, &w, "runstatus_run_start_timestamp_seconds",
               "Unix time the run started, as the vendor reports it") { run in run.observation?.startTime }
        family(s, &w, "runstatus_run_end_timestamp_seconds",
               "Unix time the run ended; absent until it truly ended") { run in
            guard let obs = run.observation, obs.state.isTerminal else { return nil }
            return obs.endTime
        }
        family(s, &w, "runstatus_run_duration_seconds",
               "Run duration: end minus start once ended, now minus start while it goes on") { run in
            Self.duration(run.observation, now: now)
        }
        family(s, &w, "runstatus_run_reported_duration_seconds",
               "Processing time the vendor reports for the run (Sequentum runTimeSec, Nexio duration_ms)") { run in
            run.observation?.reportedDuration
        }
        family(s, &w, "runstatus_run_reported_errors",
               "Errors the vendor reports for the run (Sequentum errorCount)") { run in
            run.observation?.reportedErrors
        }
    }

    /// Every run of the targets with per-run metrics, in config order, lent rather than copied: copying a
    /// `RunEntry` retains and releases each of its buffers, a quarter of the render's CPU at 10,000 runs.
    static func forEachRun(_ s: StoreState, _ body: (borrowing RunEntry) -> Void) {
        for ti in s.targets.indices where s.targets[ti].perRunMetrics {
            s.targets[ti].runs.withUnsafeBufferPointer { runs in
                for i in runs.indices { body(runs[i]) }
            }
        }
    }

    /// end − start for a finished run; now − start while it goes on; nil without a start (or for a finished run
    /// whose end is unknown, e.g. RSA's placeholder end on Aborted runs).
    static func duration(_ obs: RunObservation?, now: Double) -> Double? {
        guard let obs, let start = obs.startTime else { return nil }
        if obs.state.isTerminal {
            guard let end = obs.endTime else { return nil }
            return max(0, end - start)
        }
        return max(0, now - start)
    }

    /// A per-run gauge family written only if some run has a value (no HELP/TYPE for an empty family).
    private func family(_ s: StoreState, _ w: inout ExpositionWriter, _ name: String, _ text: String,
                        _ value: (borrowing RunEntry) -> Double?) {
        var wroteHeader = false
        Self.forEachRun(s) { run in
            guard let v = value(run) else { return }
            if !wroteHeader {
                w.family(name, type: .gauge, help: help(text))
                wroteHeader = true
            }
            w.sample(name, run.labels, value: v)
        }
    }

    private func renderTargets(_ s: StoreState, into w: inout ExpositionWriter) {
        let targets = s.targets
        guard !targets.isEmpty else { return }

        w.family("runstatus_runs", type: .gauge, help: help("Number of the target's runs in each normalized state"))
        for t in targets {
            var counts = [RunState: Int]()
            for run in t.runs { counts[run.state, default: 0] += 1 }
            for state in RunState.allCases {
                w.sample("runstatus_runs", t.labels, "state", state.rawValue, value: Double(counts[state] ?? 0))
            }
        }

        w.family("runstatus_up", type: .gauge,
                 help: help("1 when the target's last poll cycle reached the vendor and authenticated, else 0"))
        for t in targets { w.sample("runstatus_up", t.labels, value: t.up ? 1 : 0) }

        w.family("runstatus_polls_total", type: .counter, help: help("Requests made to the vendor API"))
        for t in targets { w.sample("runstatus_polls_total", t.labels, value: Double(t.polls)) }

        w.family("runstatus_poll_errors_total", type: .counter, help: help("Failed requests to the vendor API, by reason"))
        for t in targets {
            for (i, reason) in PollErrorReason.allCases.enumerated() {
                w.sample("runstatus_poll_errors_total", t.labels, "reason", reason.rawValue, value: Double(t.errors[i]))
            }
        }

        w.family("runstatus_poll_duration_seconds", type: .histogram, help: help("Latency of requests to the vendor API"))
        for t in targets {
            let h = t.pollDuration
            w.histogram("runstatus_poll_duration_seconds", t.labels, buckets: h.bounds,
                        cumulativeCounts: h.cumulativeCounts, sum: h.sum, count: h.count)
        }

        if targets.contains(where: { $0.lastSuccess != nil }) {
            w.family("runstatus_last_poll_success_timestamp_seconds", type: .gauge,
                     help: help("Unix time of the target's last successful request"))
            for t in targets {
                if let last = t.lastSuccess { w.sample("runstatus_last_poll_success_timestamp_seconds", t.labels, value: last) }
            }
        }

        w.family("runstatus_runs_finished_total", type: .counter,
                 help: help("Runs seen entering a terminal state, each run counted once"))
        for t in targets {
            for (i, state) in TargetEntry.terminalStates.enumerated() {
                w.sample("runstatus_runs_finished_total", t.labels, "state", state.rawValue, value: Double(t.finished[i]))
            }
        }

        w.family("runstatus_finished_run_duration_seconds", type: .histogram,
                 help: help("Duration (end minus start) of runs seen entering a terminal state"))
        for t in targets {
            for (i, state) in TargetEntry.terminalStates.enumerated() {
                let h = t.finishedDuration[i]
                w.histogram("runstatus_finished_run_duration_seconds", t.labels.appending("state", state.rawValue),
                            buckets: h.bounds, cumulativeCounts: h.cumulativeCounts, sum: h.sum, count: h.count)
            }
        }

        w.family("runstatus_unmapped_states_total", type: .counter,
                 help: help("Observations of a vendor state value the mapping does not know"))
        for t in targets { w.sample("runstatus_unmapped_states_total", t.labels, value: Double(t.unmapped)) }

        if targets.contains(where: { $0.discovery != nil }) {
            w.family("runstatus_discovered_runs", type: .gauge,
                     help: help("Runs the target's last listing found and the exporter keeps (within max_runs, max_age, its shard)"))
            for t in targets where t.discovery != nil {
                w.sample("runstatus_discovered_runs", t.labels, value: Double(t.discoveredCount))
            }
        }

        w.family("runstatus_rate_limit_waits_total", type: .counter,
                 help: help("Requests to the vendor delayed to stay within the target's rate budget or the vendor's X-RateLimit headers"))
        for t in targets { w.sample("runstatus_rate_limit_waits_total", t.labels, value: Double(t.rateLimitWaits)) }

        w.family("runstatus_series_dropped_total", type: .counter,
                 help: help("Per-run series not exported because of max_series: finished runs dropped (oldest first) and runs refused"))
        for t in targets { w.sample("runstatus_series_dropped_total", t.labels, value: Double(t.seriesDropped)) }
    }

    private func renderExporter(_ s: StoreState, into w: inout ExpositionWriter) {
        w.family("runstatus_build_info", type: .info, help: "Version of the exporter; always 1.")
        w.sample("runstatus_build_info", LabelSet([("version", BuildInfo.version), ("revision", BuildInfo.revision),
                                                   ("swift_version", BuildInfo.swiftVersion)]), value: 1)

        w.family("runstatus_config_last_reload_successful", type: .gauge,
                 help: "1 when the last configuration (re)load succeeded, else 0.")
        w.sample("runstatus_config_last_reload_successful", value: s.lastReloadSuccessful ? 1 : 0)
        if let t = s.lastReloadSuccess {
            w.family("runstatus_config_last_reload_success_timestamp_seconds", type: .gauge,
                     help: "Unix time of the last successful configuration load.")
            w.sample("runstatus_config_last_reload_success_timestamp_seconds", value: t)
        }

        if let r = webConfigReloads {
            w.family("runstatus_web_config_last_reload_successful", type: .gauge,
                     help: "1 when the last change to the web config (or a file it names) took effect, else 0.")
            w.sample("runstatus_web_config_last_reload_successful", value: r.lastSuccessful ? 1 : 0)
            w.family("runstatus_web_config_reloads_total", type: .counter,
                     help: "Changes to the web config (or a file it names) applied or refused, by result.")
            w.sample("runstatus_web_config_reloads_total", LabelSet([("result", "failure")]), value: Double(r.failures))
            w.sample("runstatus_web_config_reloads_total", LabelSet([("result", "success")]), value: Double(r.successes))
        }

        if !httpRequests.isEmpty {
            w.family("runstatus_http_requests_total", type: .counter, help: "HTTP requests served by the exporter, by handler and status code.")
            for (key, count) in httpRequests.sorted(by: { ($0.key.handler, $0.key.code) < ($1.key.handler, $1.key.code) }) {
                w.sample("runstatus_http_requests_total", LabelSet([("handler", key.handler), ("code", String(key.code))]),
                         value: Double(count))
            }
        }

        let p = process
        if let v = p.cpuSeconds {
            w.family("process_cpu_seconds_total", type: .counter, help: "Total user and system CPU time spent in seconds.")
            w.sample("process_cpu_seconds_total", value: v)
        }
        gauge(&w, "process_max_fds", "Maximum number of open file descriptors.", p.maxFDs)
        gauge(&w, "process_open_fds", "Number of open file descriptors.", p.openFDs)
        gauge(&w, "process_resident_memory_bytes", "Resident memory size in bytes.", p.residentBytes)
        gauge(&w, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.", p.startTime)
        gauge(&w, "process_virtual_memory_bytes", "Virtual memory size in bytes.", p.virtualBytes)
    }

    private func gauge(_ w: inout ExpositionWriter, _ name: String, _ help: String, _ value: Double?) {
        guard let value else { return }
        w.family(name, type: .gauge, help: help)
        w.sample(name, value: value)
    }
}
