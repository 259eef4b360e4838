import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP GET on loopback through Foundation's client (a second, independent client besides `TestClient`);
/// returns status, headers and body text.
func httpGet(_ url: String, headers: [String: String] = [:], method: String = "GET") async throws -> (Int, [String: String], String) {
    var request = URLRequest(url: URL(string: url)!, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 10)
    request.httpMethod = method
    for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
    let (data, response) = try await URLSession.shared.data(for: request)
    let http = response as! HTTPURLResponse
    var h: [String: String] = [:]
    for (k, v) in http.allHeaderFields { if let k = k as? String, let v = v as? String { h[k.lowercased()] = v } }
    return (http.statusCode, h, String(decoding: data, as: UTF8.self))
}
