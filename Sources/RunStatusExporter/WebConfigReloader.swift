import Configuration
import Dispatch
import HTTPServer
import Logging
import Serving
import Synchronization
import TLS

/// Applies a changed `--web.config.file` (or certificate, key, client CA it names) without a restart, as
/// exporter-toolkit does: new users and headers for the next request, a new TLS context for new connections (open
/// ones keep theirs). A broken change is logged once, counted, and ignored: the last good config stays.
///
/// A Dispatch timer on its own queue stats the files every `interval`; `WebConfigWatch` decides what to do, so
/// the blocking reads never run on Swift's cooperative threads.
final class WebConfigReloader: Sendable {
    let path: String
    private let gate: WebGate
    private let server: HTTPServer
    private let reloads: WebConfigReloads
    private let logger: Logger
    private let queue = DispatchQueue(label: "runstatus.web-config-watch")
    private let timer: UncheckedBox<DispatchSourceTimer>

    private struct State {
        var config: WebConfig
        /// The web config, then the files it names.
        var files: [String]
        var watch: WebConfigWatch
    }
    private let state: Mutex<State>

    /// - Parameters:
    ///   - config: the web config in force, parsed from `start`.
    ///   - start: what start read.
    init(path: String, config: WebConfig, start: WebConfigReading, gate: WebGate, server: HTTPServer,
         reloads: WebConfigReloads, logger: Logger, interval: Double = 1) {
        self.path = path
        self.gate = gate
        self.server = server
        self.reloads = reloads
        self.logger = logger
        state = Mutex(State(config: config, files: start.files,
                            watch: WebConfigWatch(interval: interval, now: Self.monotonicNow(), stamps: start.stamps,
                                                  digest: start.digest)))
        timer = UncheckedBox(DispatchSource.makeTimerSource(queue: queue))
        // Ticks a few times an interval; the watch decides when a check is due (a tick a little early would
        // otherwise skip a whole interval).
        timer.value.schedule(deadline: .now() + interval / 4, repeating: interval / 4, leeway: .milliseconds(50))
        timer.value.setEventHandler { [weak self] in self?.check() }
    }

    func start() { timer.value.resume() }

    func stop() { timer.value.cancel() }

    /// On the timer's queue.
    private func check() {
        state.withLock { state in
            guard state.watch.isDue(now: Self.monotonicNow()) else { return }
            guard state.watch.stampsChanged(state.files.map(WebConfigReading.stamp)) else { return }
            let reading = WebConfigReading(path: path, fallbackFiles: state.files)
            let digest = reading.digest
            state.watch.remember(reading.stamps)
            // Watched from now on, broken or not: a certificate the new config names may appear later.
            state.files = reading.files
            guard state.watch.judge(digest: digest) == .new else { return }

            do throws(ConfigError) {
                let next = try reading.parsed.get()
                let tls = try state.config.replacementTLSContext(for: next, file: path)
                logger.redactor.register(next.basicAuthUsers.values)
                gate.apply(next)
                if let tls { server.replaceTLSContext(tls) }
                state.config = next
                _ = state.watch.settle(digest: digest, applied: true)
                reloads.record(success: true)
                logger.info("web configuration reloaded", ["file": path,
                                                           "basic_auth_users": String(next.basicAuthUsers.count),
                                                           "tls": tls == nil ? "off" : "on"])
            } catch {
                guard case .broken(report: true) = state.watch.settle(digest: digest, applied: false) else { return }
                reloads.record(success: false)
                logger.error("web configuration reload failed; keeping the previous one",
                             ["file": path, "error": logger.redactor.redact(error.lines.joined(separator: "; "))])
            }
        }
    }

    private static func monotonicNow() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }
}
