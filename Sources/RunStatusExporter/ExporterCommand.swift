import Dispatch
import Foundation
import HTTPServer
import TLS

/// The program: parse flags, load config, start the listener and the poller, serve until a signal.
/// Returns the exit status: 0 clean, 1 runtime failure (e.g. port in use), 2 bad flags or config.
public enum ExporterCommand {
    public static func run(_ arguments: [String]) async -> Int32 {
        let options: CommandLineOptions
        do {
            options = try CommandLineOptions.parse(arguments)
        } catch {
            printErr("runstatus-exporter: \(error.message)\n\n" + CommandLineOptions.usage)
            return 2
        }
        if options.help {
            print(CommandLineOptions.usage, terminator: "")
            return 0
        }
        if options.version {
            print("runstatus-exporter \(BuildInfo.version) (revision \(BuildInfo.revision), Swift \(BuildInfo.swiftVersion))")
            return 0
        }
        if options.healthcheck {
            return HealthCheck.probe(listenAddress: options.listenAddress, webConfigFile: options.webConfigFile)
        }
        // One set of known secrets for everything that logs or shows text: filled by the config loader, every
        // re-read of a credential, and the web config's password hashes.
        let redactor = SecretRedactor()
        let logger = Logger(level: options.logLevel, format: options.logFormat, redactor: redactor)
        MemoryTuning.apply()

        // Refused like a bad main config: better not to start than to serve without the protection asked for.
        var gate: WebGate?
        var tls: TLSServerContext?
        if let path = options.webConfigFile {
            do {
                let web = try WebConfig.load(path: path)
                redactor.register(web.basicAuthUsers.values)
                tls = try web.makeTLSContext(file: path)
                gate = WebGate(config: web)
            } catch {
                printErr(error.lines.joined(separator: "\n") + "\n")
                return 2
            }
        }

        var demo: DemoMode?
        let config: ExporterConfig
        if options.demo {
            do {
                let d = try DemoMode.start()
                demo = d
                config = d.config
                logger.info("demo mode: simulator of the five vendors", ["address": d.baseURL])
            } catch {
                logger.error("cannot start the demo simulator", ["error": "\(error)"])
                return 1
            }
        } else {
            do {
                config = try ConfigLoader(redactor: redactor).load(path: options.configFile!)
            } catch {
                printErr(redactor.redact(error.lines.joined(separator: "\n")) + "\n")
                return 2
            }
            if options.configCheck {
                print(redactor.redact(ConfigCheck.summary(config, file: options.configFile!)), terminator: "")
                if let path = options.webConfigFile, let gate {
                    print("\(path): valid, \(gate.config.basicAuthUsers.count) basic-auth user(s), "
                          + "\(gate.config.headers.count) response header(s)")
                }
                return 0
            }
        }
        // Many connections (a slowloris flood, a crowd of scrapers) need many descriptors: take what the hard
        // limit allows, as Go programs do.
        if let limits = FileDescriptorLimit.raiseSoftToHard(), limits.after != limits.before {
            logger.debug("raised the open-file limit", ["from": String(limits.before), "to": String(limits.after)])
        }

        let store = MetricsStore(config: config, shard: options.shard)
        store.recordReload(success: true, at: Date().timeIntervalSince1970)
        let fetcher = CurlFetcher(maxConnectionsPerHost: config.maxConcurrency)
        let poller = Poller(store: store, fetcher: fetcher, logger: logger)
        let reloader = Reloader(path: options.configFile, store: store, poller: poller, logger: logger)
        var reload: (@Sendable () -> Result<Void, ReloadError>)?
        if options.configFile != nil { reload = { reloader.reload() } }
        let routes = Routes(store: store, config: config, telemetryPath: options.telemetryPath, reload: reload, redactor: redactor)
        reloader.routes = routes

        let server: HTTPServer
        do {
            var address = try ListenAddress(parsing: options.listenAddress)
            var serverConfig = HTTPServerConfiguration(address: address)
            serverConfig.log = { message in logger.warn("listener", ["error": message]) }
            serverConfig.tls = tls
            if let gate {
                server = gate.server(configuration: serverConfig, next: { routes.handle($0) })
            } else {
                server = HTTPServer(configuration: serverConfig, handler: { routes.handle($0) })
            }
            address.port = try server.start()
            logger.info("listening", ["address": address.description, "telemetry_path": options.telemetryPath,
                                      "targets": String(config.targets.count),
                                      "runs": String(config.targets.reduce(0) { $0 + $1.runs.count }),
                                      "basic_auth": gate?.requiresAuth == true ? "on" : "off",
                                      "tls": tls == nil ? "off" : "on"])
        } catch {
            logger.error("cannot start the HTTP listener", ["address": options.listenAddress, "error": "\(error)"])
            return 1
        }

        poller.start(config)

        for await signal in Signals.stream([SIGTERM, SIGINT, SIGHUP]) {
            if signal == SIGHUP {
                _ = reloader.reload()
                continue
            }
            logger.info("shutting down", ["signal": signal == SIGTERM ? "SIGTERM" : "SIGINT"])
            break
        }
        // Stops accepting, finishes the responses in flight (at most the grace period), then the polls.
        await server.shutdown()
        await poller.stop()
        demo?.stop()
        logger.info("stopped")
        return 0
    }

    static func printErr(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// Re-reads the config on SIGHUP or `POST /-/reload`; on error the old config stays and the reason is logged.
final class Reloader: @unchecked Sendable {
    // @unchecked: `routes` is set once right after init, before any request or signal can arrive.
    let path: String?
    let store: MetricsStore
    let poller: Poller
    let logger: Logger
    var routes: Routes?
    private let lock = NSLock()

    init(path: String?, store: MetricsStore, poller: Poller, logger: Logger) {
        self.path = path
        self.store = store
        self.poller = poller
        self.logger = logger
    }

    func reload() -> Result<Void, ReloadError> {
        guard let path else { return .failure(ReloadError("no config file to reload")) }
        lock.lock()
        defer { lock.unlock() }
        do {
            let config = try ConfigLoader(redactor: logger.redactor).load(path: path)
            store.apply(config)
            poller.start(config)
            routes?.update(config: config)
            store.recordReload(success: true, at: Date().timeIntervalSince1970)
            logger.info("configuration reloaded", ["file": path, "targets": String(config.targets.count)])
            return .success(())
        } catch {
            store.recordReload(success: false, at: Date().timeIntervalSince1970)
            logger.error("configuration reload failed; keeping the previous one", ["file": path, "error": error.lines.joined(separator: "; ")])
            return .failure(ReloadError(logger.redactor.redact(error.description)))
        }
    }
}

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

/// Signals delivered as an async stream: the default action is ignored first (else SIGTERM kills the process before
/// the source sees it), then a Dispatch source per signal feeds the stream; the command cancels its task group on
/// the first one.
enum Signals {
    static func stream(_ signals: [Int32]) -> AsyncStream<Int32> {
        AsyncStream { continuation in
            let queue = DispatchQueue(label: "runstatus.signals")
            var sources: [any DispatchSourceSignal] = []
            for s in signals {
                signal(s, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: s, queue: queue)
                source.setEventHandler { @Sendable in continuation.yield(s) }
                source.resume()
                sources.append(source)
            }
            let keep = UncheckedBox(sources)
            continuation.onTermination = { @Sendable _ in
                for source in keep.value { source.cancel() }
            }
        }
    }
}

/// Holds a non-Sendable value that is only touched from one place (Dispatch sources, kept alive and cancelled once).
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
