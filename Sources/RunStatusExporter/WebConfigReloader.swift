import Configuration
import Dispatch
import Foundation
import Glibc
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

    /// - Parameter config: the web config in force, loaded from `path` at start.
    init(path: String, config: WebConfig, gate: WebGate, server: HTTPServer, reloads: WebConfigReloads, logger: Logger,
         interval: Double = 1) {
        self.path = path
        self.gate = gate
        self.server = server
        self.reloads = reloads
        self.logger = logger
        let files = WebConfig.watchedFiles(path: path, config: config)
        // What start read; a change between that read and this one is caught by the first check.
        let stamps = files.map(Self.stamp)
        let digest = WebConfigWatch.digest(files.map(Self.read))
        state = Mutex(State(config: config, files: files,
                            watch: WebConfigWatch(interval: interval, now: Self.monotonicNow(), stamps: stamps, digest: digest)))
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
            guard state.watch.stampsChanged(state.files.map(Self.stamp)) else { return }
            // Each stamp is taken before its file is read: a write after the read changes the stamp again.
            let webStamp = Self.stamp(path)
            let webBytes = Self.read(path)
            let parsed: Result<WebConfig, ConfigError>
            do throws(ConfigError) {
                // Unreadable: the loader's own read says why (missing, a directory, no permission).
                let bytes: [UInt8]
                if let webBytes { bytes = webBytes } else { bytes = try ConfigLoader.readConfigFile(path) }
                parsed = .success(try WebConfig.parse(bytes, file: path))
            } catch {
                parsed = .failure(error)
            }
            let named = Array((try? parsed.get()).map { WebConfig.watchedFiles(path: path, config: $0) }
                ?? state.files).dropFirst()
            let namedStamps = named.map(Self.stamp)
            let digest = WebConfigWatch.digest([webBytes] + named.map(Self.read))
            state.watch.remember([webStamp] + namedStamps)
            guard state.watch.judge(digest: digest) == .new else { return }

            do throws(ConfigError) {
                let next = try parsed.get()
                let tls = try state.config.replacementTLSContext(for: next, file: path)
                logger.redactor.register(next.basicAuthUsers.values)
                gate.apply(next)
                if let tls { server.replaceTLSContext(tls) }
                state.config = next
                state.files = [path] + named
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

    static func stamp(_ path: String) -> WebConfigWatch.Stamp {
        var info = stat()
        guard stat(path, &info) == 0 else { return .init(path: path, exists: false) }
        return .init(path: path, exists: true, inode: UInt64(info.st_ino), size: Int64(info.st_size),
                     modifiedNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
    }

    static func read(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map(Array.init)
    }
}
