import Configuration
import CurlTransport
import Dispatch
import Foundation
import HTTPServer
import Logging
import Polling
import RunStatusModel
import RunStore
import Serving

/// `--config.check` output.
enum ConfigCheck {
    static func summary(_ config: ExporterConfig, file: String) -> String {
        var out = "\(file): valid, \(config.targets.count) target(s), \(config.targets.reduce(0) { $0 + $1.runs.count }) run(s)\n"
        for t in config.targets {
            out += "  \(t.name): \(t.vendor.rawValue) at \(Redact.url(t.url)), \(t.runs.count) run(s), auth \(t.auth.summary), "
            out += "poll every \(DurationText.format(t.pollInterval)) (finished runs every \(DurationText.format(t.terminalPollInterval)))\n"
            out += "    \(details(t))\n"
        }
        return out + seriesNote(config)
    }
}
