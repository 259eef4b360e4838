/// A metric family's type, as written on its `# TYPE` line.
public enum MetricType: Sendable {
    case counter, gauge, histogram
    /// An info metric (`*_info` = 1 with the facts as labels): a gauge in text 0.0.4, `info` in OpenMetrics.
    case info
}

/// Which exposition format to write.
public enum ExpositionFormat: Sendable, Equatable {
    /// `text/plain; version=0.0.4`, the classic Prometheus text format.
    case text
    /// `application/openmetrics-text; version=1.0.0`.
    case openMetrics

    public var contentType: String {
        switch self {
        case .text: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }
}
