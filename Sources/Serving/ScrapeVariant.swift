import Exposition
import Foundation
import HTTPServer

/// What a scrape asked for: the exposition format (`Accept`) and the content coding (`Accept-Encoding`), negotiated
/// once per scrape. The render cache keeps one body per variant, so it stays bounded whatever the headers say.
public struct ScrapeVariant: Hashable, Sendable {
    public var format: ExpositionFormat
    public var gzip: Bool

    public init(format: ExpositionFormat, gzip: Bool) {
        self.format = format
        self.gzip = gzip
    }

    public init(_ request: HTTPRequest) {
        self.init(format: Self.format(accept: request.header("Accept")),
                  gzip: ContentCoding.negotiate(acceptEncoding: request.header("Accept-Encoding")) == .gzip)
    }

    /// Prometheus' content negotiation: OpenMetrics when the Accept header ranks it at least as high as the text format.
    public static func format(accept: String?) -> ExpositionFormat {
        guard let accept else { return .text }
        var openMetrics = -1.0, text = -1.0
        for part in accept.split(separator: ",") {
            let params = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let type = params.first?.lowercased() else { continue }
            var q = 1.0
            for p in params.dropFirst() where p.lowercased().hasPrefix("q=") { q = Double(p.dropFirst(2)) ?? 0 }
            switch type {
            case "application/openmetrics-text": openMetrics = max(openMetrics, q)
            case "text/plain", "*/*", "text/*": text = max(text, q)
            default: break
            }
        }
        return openMetrics > 0 && openMetrics >= text ? .openMetrics : .text
    }
}
