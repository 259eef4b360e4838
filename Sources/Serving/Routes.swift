import Configuration
import Exposition
import Foundation
import HTTPServer
import Logging
import RunStatusModel
import RunStore
import Synchronization

/// The exporter's HTTP surface: telemetry, landing page, health and readiness probes, reload.
/// Runs on the listener's worker threads; everything it reads is a snapshot taken under a short lock.
public final class Routes: Sendable {
    let store: MetricsStore
    let telemetryPath: String
    let now: @Sendable () -> Double
    private let requests = Mutex<[HTTPCounterKey: UInt64]>([:])
    /// The configuration in force, for the landing page.
    private let landing: @Sendable () -> ExporterConfig
    /// Re-reads the configuration (`POST /-/reload`); nil when reloading is not possible (demo mode).
    let reload: (@Sendable () -> Result<Void, ReloadError>)?
    /// Requests other than successful scrapes: they change what the body shows, so they key the render cache.
    private let otherRequests = Counter()
    /// The last body's size, so the next render reserves its buffer once instead of doubling it as it grows.
    private let lastBodySize = Counter()
    /// Scrapes of one state in one second share one body (32 overlapping scrapes hold one copy, not 32).
    private let cache: RenderCache?
    /// Hides known secrets in the landing page and the reload answer.
    let redactor: SecretRedactor?
    /// The web config's reloads, shown in `/metrics`; nil without `--web.config.file`.
    let webConfigReloads: WebConfigReloads?

    /// - Parameter config: the configuration in force, read by the landing page (the composition updates it on reload).
    public init(store: MetricsStore, config: @escaping @Sendable () -> ExporterConfig, telemetryPath: String = "/metrics",
                now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                reload: (@Sendable () -> Result<Void, ReloadError>)? = nil, renderCache: Bool = true,
                redactor: SecretRedactor? = nil, webConfigReloads: WebConfigReloads? = nil) {
        self.redactor = redactor
        self.webConfigReloads = webConfigReloads
        self.store = store
        self.telemetryPath = telemetryPath
        self.now = now
        self.landing = config
        self.reload = reload
        let others = otherRequests
        // Both only grow, so their sum changes whenever either does.
        cache = renderCache ? RenderCache(store: store, now: now,
                                          extraKey: { others.value &+ (webConfigReloads?.changes ?? 0) }) : nil
    }

    /// Routes whose landing page shows a fixed configuration.
    public convenience init(store: MetricsStore, config: ExporterConfig, telemetryPath: String = "/metrics",
                            now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                            reload: (@Sendable () -> Result<Void, ReloadError>)? = nil, renderCache: Bool = true,
                            redactor: SecretRedactor? = nil) {
        self.init(store: store, config: { config }, telemetryPath: telemetryPath, now: now, reload: reload,
                  renderCache: renderCache, redactor: redactor)
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let path = String(request.path)
        let handler: String
        let response: HTTPResponse
        switch path {
        case telemetryPath:
            handler = telemetryPath
            response = onlyGetOrHead(request) ?? scrape(request)
        case "/":
            handler = "/"
            response = onlyGetOrHead(request) ?? landingPage()
        case "/-/healthy":
            handler = path
            response = onlyGetOrHead(request) ?? .text(200, "Healthy\n")
        case "/-/ready":
            handler = path
            response = onlyGetOrHead(request) ?? (store.isReady ? .text(200, "Ready\n")
                                                                : .text(503, "Not ready: the first poll cycle is still running\n"))
        case "/-/reload":
            handler = path
            response = reloadEndpoint(request)
        default:
            handler = "other"
            response = .text(404, "Not found. Metrics are at \(telemetryPath)\n")
        }
        requests.withLock { $0[HTTPCounterKey(handler: handler, code: response.status), default: 0] += 1 }
        if handler != telemetryPath || response.status != 200 { otherRequests.increment() }
        return response
    }

    private func onlyGetOrHead(_ request: HTTPRequest) -> HTTPResponse? {
        if request.method == "GET" || request.method == "HEAD" { return nil }
        return HTTPResponse(status: 405, contentType: "text/plain; charset=utf-8",
                            body: "Method \(request.method) not allowed; use GET or HEAD\n", headers: [("Allow", "GET, HEAD")])
    }

    private func reloadEndpoint(_ request: HTTPRequest) -> HTTPResponse {
        guard request.method == "POST" || request.method == "PUT" else {
            return HTTPResponse(status: 405, contentType: "text/plain; charset=utf-8",
                                body: "Use POST to reload the configuration\n", headers: [("Allow", "POST, PUT")])
        }
        guard let reload else { return .text(400, "Reloading is not available (no config file, e.g. in demo mode)\n") }
        switch reload() {
        case .success: return .text(200, "Configuration reloaded\n")
        case .failure(let e):
            let message = redactor?.redact(e.message) ?? e.message
            return .text(500, "Reload failed; the previous configuration stays in force:\n\(message)\n")
        }
    }

    /// The exposition of the current state, in the format and content coding the scrape negotiated.
    func metrics(_ variant: ScrapeVariant) -> HTTPResponse {
        let body = render(format: variant.format).body
        var headers = [("Content-Type", variant.format.contentType), ("Vary", "Accept-Encoding")]
        if variant.gzip, let compressed = Gzip.compress(body) {
            headers.append(("Content-Encoding", "gzip"))
            return HTTPResponse(status: 200, headers: headers, body: compressed)
        }
        return HTTPResponse(status: 200, headers: headers, body: body)
    }

    /// A scrape: negotiated once, then rendered, or shared from the cache.
    private func scrape(_ request: HTTPRequest) -> HTTPResponse {
        let variant = ScrapeVariant(request)
        guard let cache else { return metrics(variant) }
        return cache.response(for: variant) { metrics(variant) }
    }

    func render(format: ExpositionFormat) -> (body: [UInt8], samples: Int) {
        let snapshot = store.snapshot()
        var renderer = MetricsRenderer()
        renderer.httpRequests = requests.withLock { $0 }
        renderer.webConfigReloads = webConfigReloads.map {
            (lastSuccessful: $0.lastSuccessful, successes: $0.successCount, failures: $0.failureCount)
        }
        renderer.process = ProcessMetrics.read()
        renderer.capacityHint = Int(lastBodySize.value)
        let rendered = renderer.render(snapshot, now: now(), format: format)
        lastBodySize.set(UInt64(rendered.body.count))
        return rendered
    }

    private func landingPage() -> HTTPResponse {
        let config = landing()
        let snapshot = store.snapshot()
        var rows = ""
        let insecure = config.targets.filter(\.client.tls.insecureSkipVerify).map { html($0.name) }
        let warning = insecure.isEmpty ? "" : "<p><strong>Warning:</strong> tls_config.insecure_skip_verify is set for "
            + insecure.joined(separator: ", ") + ": the vendor's certificate is not verified.</p>\n"
        for t in config.targets {
            let entry = snapshot.targetIndex[t.name].map { snapshot.targets[$0] }
            let up = entry?.up ?? false
            // What the store tracks: the configured runs plus those discovery found (configured ones until then).
            let tracked = entry?.runs.count ?? t.runs.count
            let runs = t.discover == nil ? "\(tracked)" : "\(tracked) (\(t.runs.count) configured, the rest discovered)"
            rows += "<tr><td>\(html(t.name))</td><td>\(t.vendor.rawValue)</td><td>\(html(Redact.url(t.url)))</td>"
            rows += "<td>\(html(t.auth.summary))</td><td>\(runs)</td><td>\(DurationText.format(t.pollInterval))</td>"
            rows += "<td>\(up ? "up" : "down")</td></tr>\n"
        }
        let page = """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>runstatus-exporter</title>
        <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}</style>
        </head><body>
        <h1>runstatus-exporter</h1>
        <p>Polls vendors' run-status APIs in the background and serves what it learns to Prometheus.</p>
        <ul><li><a href="\(html(telemetryPath))">Metrics</a></li><li><a href="/-/healthy">Health</a></li><li><a href="/-/ready">Readiness</a></li></ul>
        <h2>Targets</h2>
        \(warning)<table><tr><th>Name</th><th>Vendor</th><th>URL</th><th>Auth</th><th>Runs</th><th>Poll interval</th><th>Last cycle</th></tr>
        \(rows)</table>
        <p>Version \(BuildInfo.version)</p>
        </body></html>

        """
        return HTTPResponse(status: 200, contentType: "text/html; charset=utf-8", body: redactor?.redact(page) ?? page)
    }

    private func html(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
