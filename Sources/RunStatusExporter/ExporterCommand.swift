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
import TLS

/// The program: parse flags, load config, start the listener and the poller, serve until a signal.
/// Returns the exit status: 0 clean, 1 runtime failure (e.g. port in use), 2 bad flags or config.
public enum ExporterCommand {
    /// - Parameter startDemo: starts what `--demo` polls; the executable passes it, so the library links no simulator.
    public static func run(_ arguments: [String], startDemo: (@Sendable () throws -> DemoHandle)? = nil) async -> Int32 {
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
        var webConfig: (config: WebConfig, reading: WebConfigReading)?
        if let path = options.webConfigFile {
            do {
                // Read as the watcher reads it, so that its first check compares with exactly these bytes.
                let reading = WebConfigReading(path: path, fallbackFiles: [path])
                let web = try reading.parsed.get()
                webConfig = (web, reading)
                redactor.register(web.basicAuthUsers.values)
                tls = try web.makeTLSContext(file: path)
                gate = WebGate(config: web)
            } catch {
                printErr(error.lines.joined(separator: "\n") + "\n")
                return 2
            }
        }

        var demo: DemoHandle?
        let config: ExporterConfig
        if options.demo {
            do {
                guard let startDemo else { throw DemoHandle.Unavailable() }
                let d = try startDemo()
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

        logger.warnAboutUnverifiedTargets(config)
        let store = MetricsStore(config: config, shard: options.shard)
        store.recordReload(success: true, at: Date().timeIntervalSince1970)
        let fetcher = CurlFetcher(maxConnectionsPerHost: config.maxConcurrency)
        let poller = Poller(store: store, fetcher: fetcher, logger: logger)
        // The reloader writes the config in force; the routes read it for the landing page. Neither knows the other.
        let inForce = ConfigInForce(config)
        let reloader = Reloader(path: options.configFile, store: store, poller: poller, logger: logger,
                                installed: { inForce.set($0) })
        var reload: (@Sendable () -> Result<Void, ReloadError>)?
        if options.configFile != nil { reload = { reloader.reload() } }
        let webConfigReloads = gate == nil ? nil : WebConfigReloads()
        let routes = Routes(store: store, config: { inForce.value }, telemetryPath: options.telemetryPath, reload: reload,
                            redactor: redactor, webConfigReloads: webConfigReloads)

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

        // After start: the watcher swaps the running server's TLS context.
        var webConfigReloader: WebConfigReloader?
        if let path = options.webConfigFile, let webConfig, let gate, let webConfigReloads {
            webConfigReloader = WebConfigReloader(path: path, config: webConfig.config, start: webConfig.reading, gate: gate,
                                                  server: server, reloads: webConfigReloads, logger: logger)
            webConfigReloader?.start()
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
        webConfigReloader?.stop()
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
