import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The few calls of Prometheus' and Alertmanager's HTTP APIs the live test makes, on loopback.
struct PrometheusAPI: Sendable {
    let base: URL

    /// Prometheus' answer envelope: `data` on success, `errorType`/`error` otherwise (with HTTP 400 or 422).
    struct Envelope<Payload: Decodable & Sendable>: Decodable, Sendable {
        var status: String
        var data: Payload?
        var errorType: String?
        var error: String?
    }

    /// A query's result: series (a vector or matrix) or one value (a scalar or string).
    struct QueryData: Decodable, Sendable {
        var resultType: String
        var result: ResultValue

        enum ResultValue: Decodable, Sendable {
            case series([Series])
            case value

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                self = (try? container.decode([Series].self)).map(ResultValue.series) ?? .value
            }
        }

        /// A vector's series has `value`, a matrix's has `values`.
        struct Series: Decodable, Sendable {
            var metric: [String: String]
            var value: Sample?
            var values: [Sample]?
        }

        /// `[unix time, "value"]`.
        struct Sample: Decodable, Sendable {
            var text: String

            init(from decoder: any Decoder) throws {
                var pair = try decoder.unkeyedContainer()
                _ = try pair.decode(Double.self)
                text = try pair.decode(String.self)
            }
        }

        /// Something Grafana can draw: a number that is not NaN or infinite (an empty rate window, a histogram
        /// with no observations, gives NaN).
        var hasFiniteSample: Bool {
            switch result {
            case .value:
                true
            case .series(let series):
                series.contains { one in
                    ([one.value].compactMap { $0 } + (one.values ?? [])).contains { Double($0.text)?.isFinite == true }
                }
            }
        }
    }

    struct Alerts: Decodable, Sendable {
        var alerts: [Alert]
    }

    struct Alert: Decodable, Sendable {
        var labels: [String: String]
        var state: String
    }

    /// Alertmanager's /api/v2/alerts entry.
    struct ReceivedAlert: Decodable, Sendable {
        var labels: [String: String]
    }

    func query(_ expr: String, instant: Bool, at end: Date = Date()) async throws -> Envelope<QueryData> {
        let now = end.timeIntervalSince1970
        if instant {
            return try await call("api/v1/query", ["query": expr, "time": String(now)])
        }
        return try await call("api/v1/query_range",
                              ["query": expr, "start": String(now - 30), "end": String(now), "step": "2"])
    }

    func labelValues(_ label: String, matching selector: String) async throws -> Envelope<[String]> {
        try await call("api/v1/label/\(label)/values", ["match[]": selector], method: "GET")
    }

    func alerts() async throws -> Envelope<Alerts> {
        try await call("api/v1/alerts", [:], method: "GET")
    }

    func receivedAlerts() async throws -> [ReceivedAlert] {
        try await call("api/v2/alerts", [:], method: "GET")
    }

    /// Whether `path` answers 200 (`-/ready`, `metrics`); false while the server is not listening yet.
    func answers(_ path: String) async -> Bool {
        let request = URLRequest(url: base.appending(path: path), timeoutInterval: 2)
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return false }
        return (response as? HTTPURLResponse)?.statusCode == 200
    }

    /// Form-encoded POST (a PromQL `+` in a URL query would read as a space), or GET with the same parameters.
    private func call<Answer: Decodable>(_ path: String, _ form: [String: String],
                                         method: String = "POST") async throws -> Answer {
        let body = form.sorted { $0.key < $1.key }
            .map { "\(Self.formEncoded($0.key))=\(Self.formEncoded($0.value))" }.joined(separator: "&")
        var url = base.appending(path: path)
        if method == "GET", !body.isEmpty {
            url = URL(string: url.absoluteString + "?" + body)!
        }
        var request = URLRequest(url: url, timeoutInterval: 5)
        request.httpMethod = method
        if method == "POST" {
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(body.utf8)
        }
        let (data, _) = try await URLSession.shared.data(for: request)
        do {
            return try JSONDecoder().decode(Answer.self, from: data)
        } catch {
            throw APIError.undecodable(path: path, body: String(decoding: data.prefix(500), as: UTF8.self))
        }
    }

    /// RFC 3986 unreserved characters: everything else is percent-encoded.
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    private static func formEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    enum APIError: Error, CustomStringConvertible {
        case undecodable(path: String, body: String)
        var description: String {
            switch self {
            case .undecodable(let path, let body): "undecodable answer from \(path): \(body)"
            }
        }
    }
}
