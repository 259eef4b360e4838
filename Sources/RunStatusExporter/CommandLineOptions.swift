import Configuration
import CurlTransport
import Logging
import Polling
import RunStatusModel
import RunStore
import Serving

/// The command line, Prometheus-exporter style: `--flag=value` or `--flag value`.
public struct CommandLineOptions: Sendable, Equatable {
    public var configFile: String?
    public var configCheck = false
    /// Outside the crowded 9100–9999 range of Prometheus' default port allocations.
    public var listenAddress = CommandLineOptions.defaultListenAddress
    public var telemetryPath = "/metrics"
    public var webConfigFile: String?
    public var logLevel = Logger.Level.info
    public var logFormat = Logger.Format.logfmt
    public var demo = false
    public var version = false
    public var help = false
    /// `runstatus-exporter healthcheck`: probe the local /-/healthy and exit.
    public var healthcheck = false
    /// `--shard` / `--total-shards`: the runs this exporter keeps.
    public var shard = Shard.all

    public static let defaultListenAddress = ":7979"

    public init() {}

    public static let usage = """
    usage: runstatus-exporter [flags]
           runstatus-exporter healthcheck [--web.listen-address=ADDR] [--web.config.file=PATH]

    Polls long-running jobs' run-status APIs (RSA G&L, Sequentum, Instabase AI Hub, GA4GH WES, Nexio)
    and serves what it learns as Prometheus metrics.

    flags:
      --config.file=PATH           JSON config naming the targets and runs (required unless --demo)
      --config.check               validate the config file and exit (0 when valid, 2 when not)
      --web.listen-address=ADDR    address to listen on (default \(defaultListenAddress); e.g. 127.0.0.1:7979, [::1]:7979)
      --web.telemetry-path=PATH    path of the metrics endpoint (default /metrics)
      --web.config.file=PATH       web config (basic auth, response headers, TLS) like exporter-toolkit's
      --log.level=LEVEL            debug, info, warn or error (default info)
      --log.format=FORMAT          logfmt or json (default logfmt)
      --shard=I                    keep only the runs whose hash of target/run_id falls in shard I (0-based)
      --total-shards=N             split the runs over N exporters (default 1: no sharding)
      --demo                       no config: poll a built-in simulator of the five vendors
      --version                    print the version and exit
      --help                       print this help and exit

    """

    public static func parse(_ arguments: [String]) throws(UsageError) -> CommandLineOptions {
        var o = CommandLineOptions()
        var args = arguments[...]
        var shardIndex: Int?, totalShards: Int?
        if args.first == "healthcheck" {
            o.healthcheck = true
            args = args.dropFirst()
        }
        while let arg = args.popFirst() {
            guard arg.hasPrefix("--") else { throw UsageError("unexpected argument \"\(arg)\"") }
            let name: String
            var value: String?
            if let eq = arg.firstIndex(of: "=") {
                name = String(arg[arg.index(arg.startIndex, offsetBy: 2)..<eq])
                value = String(arg[arg.index(after: eq)...])
            } else {
                name = String(arg.dropFirst(2))
            }
            func required() throws(UsageError) -> String {
                if let value { return value }
                guard let next = args.popFirst() else { throw UsageError("--\(name) needs a value") }
                return next
            }
            func flag() throws(UsageError) -> Bool {
                guard let value else { return true }
                switch value {
                case "true": return true
                case "false": return false
                default: throw UsageError("--\(name) takes no value other than true or false")
                }
            }
            switch name {
            case "config.file": o.configFile = try required()
            case "config.check": o.configCheck = try flag()
            case "web.listen-address": o.listenAddress = try required()
            case "web.telemetry-path":
                let p = try required()
                guard p.hasPrefix("/"), p.count > 1, !["/-/healthy", "/-/ready", "/-/reload"].contains(p) else {
                    throw UsageError("--web.telemetry-path must start with / and not be / or a /-/ path, not \"\(p)\"")
                }
                o.telemetryPath = p
            case "web.config.file": o.webConfigFile = try required()
            case "log.level":
                let v = try required()
                guard let l = Logger.Level(name: v) else { throw UsageError("--log.level must be debug, info, warn or error, not \"\(v)\"") }
                o.logLevel = l
            case "log.format":
                let v = try required()
                guard let f = Logger.Format(rawValue: v) else { throw UsageError("--log.format must be logfmt or json, not \"\(v)\"") }
                o.logFormat = f
            case "shard", "total-shards":
                let v = try required()
                guard let n = Int(v), n >= 0 else { throw UsageError("--\(name) must be a whole number, not \"\(v)\"") }
                if name == "shard" { shardIndex = n } else { totalShards = n }
            case "demo": o.demo = try flag()
            case "version": o.version = try flag()
            case "help", "h": o.help = true
            default: throw UsageError("unknown flag --\(name)")
            }
        }
        if shardIndex != nil || totalShards != nil {
            let total = totalShards ?? 1, index = shardIndex ?? 0
            guard total >= 1 else { throw UsageError("--total-shards must be at least 1, not \(total)") }
            guard let shard = Shard(index: index, total: total) else {
                throw UsageError("--shard must be from 0 to \(total - 1) with --total-shards=\(total), not \(index)")
            }
            if shardIndex != nil, totalShards == nil { throw UsageError("--shard needs --total-shards") }
            o.shard = shard
        }
        if !o.help, !o.version, !o.healthcheck, !o.demo, o.configFile == nil {
            throw UsageError("--config.file is required (or --demo to try it without one)")
        }
        if o.configCheck, o.configFile == nil { throw UsageError("--config.check needs --config.file") }
        return o
    }
}
