import Configuration
import CurlTransport
import Logging
import Polling
import RunStatusModel
import RunStore
import Serving

/// `--config.check` lines about discovery, rate budgets and the series cap.
extension ConfigCheck {
    /// Whether the target discovers its runs, or why not; its rate budget; per-run metrics when off.
    static func details(_ t: TargetConfig) -> String {
        var parts: [String] = []
        if let d = t.discover {
            var text = "discovery on: up to \(d.maxRuns) runs, finished ones kept \(DurationText.format(d.maxAge)), "
            text += "listed every \(DurationText.format(d.interval ?? t.pollInterval))"
            if !d.agents.isEmpty { text += ", agents \(d.agents.map(String.init).joined(separator: ", "))" }
            if let app = d.appID { text += ", app \(app)" }
            if let deployment = d.deploymentID { text += ", deployment \(deployment)" }
            if !d.statuses.isEmpty { text += ", status \(d.statuses.joined(separator: "|"))" }
            parts.append(text)
        } else if t.vendor.lister == nil {
            parts.append("discovery off: \(t.vendor.rawValue) has no list call (configured ids only)")
        } else {
            parts.append("discovery off: no \"discover\" block (\(t.vendor.rawValue) can list runs)")
        }
        if let r = t.rateLimit {
            let isDefault = r == t.vendor.defaultRateLimit
            parts.append("rate limit \(r.requests) per \(DurationText.format(r.per))\(isDefault ? " (vendor default)" : "")")
        } else {
            parts.append("no rate limit")
        }
        if !t.perRunMetrics { parts.append("per-run metrics off") }
        if let client = t.client.summary { parts.append(client) }
        return parts.joined(separator: "; ")
    }

    /// The series estimate against `max_series`, with a warning when configured runs alone exceed it.
    static func seriesNote(_ config: ExporterConfig) -> String {
        var configured = 0, ceiling = 0
        for t in config.targets {
            let target = SeriesBudget.perTarget(discovery: t.discover != nil)
            let perRun = t.perRunMetrics ? SeriesBudget.perRun : 0
            configured += target + t.runs.count * perRun
            ceiling += target + (t.runs.count + (t.discover?.maxRuns ?? 0)) * perRun
        }
        var text = "series: up to \(ceiling) (configured runs \(configured)) of max_series \(config.maxSeries)"
        if configured > config.maxSeries {
            text += "; WARNING: the configured runs alone exceed max_series, the runs past it will be refused"
        } else if ceiling > config.maxSeries {
            text += "; at full discovery windows the oldest finished runs will be dropped"
        }
        return text + "\n"
    }
}
