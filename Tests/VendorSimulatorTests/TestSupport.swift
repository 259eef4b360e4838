import Foundation
import HTTPServer
import TestSupport
import VendorSimulator

/// 2026-01-15T10:00:00Z, the documents' example time.
let t0: Double = 1_768_471_200

/// A simulator over `runs` whose clock the caller holds.
func simulator(_ runs: [SimulatedRun], credentials: [String: String] = [:], clock: ManualClock,
               configure: (inout SimulatorScenario) -> Void = { _ in }) -> VendorSimulator {
    var scenario = SimulatorScenario(start: t0, runs: runs, credentials: credentials)
    configure(&scenario)
    return VendorSimulator(scenario: scenario, now: clock.closure, sleep: { _ in })
}

extension VendorSimulator {
    func get(_ target: String, _ headers: [(name: String, value: String)] = []) -> HTTPResponse {
        handle(HTTPRequest(method: "GET", target: target, headers: headers))
    }
}

func bearer(_ token: String) -> [(name: String, value: String)] { [("Authorization", "Bearer \(token)")] }

extension HTTPResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers.first(where: { $0.name.caseInsensitiveEquals(name) })?.value }
    var contentType: String? { header("Content-Type") }
    /// The body as a JSON object; nil when it is not one.
    var object: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
    var array: [Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [Any] }
}

/// The text of an integer field as the body has it, so nanosecond values are read without passing through Double.
func rawInteger(_ field: String, in body: String) -> Int64? {
    guard let range = body.range(of: "\"\(field)\":") else { return nil }
    return Int64(body[range.upperBound...].prefix(while: { $0.isNumber || $0 == "-" }))
}

/// Where a client asks a run's status, per vendor (Sequentum ids are `AGENT/RUN`).
func statusTarget(_ vendor: String, _ id: String) -> String {
    switch vendor {
    case "rsa": "/aveksa/command.submit?cmd=getRunStatus&format=json&run-id=\(id)"
    case "sequentum": "/api/v1/agent/\(id.split(separator: "/")[0])/run/\(id.split(separator: "/")[1])/status"
    case "instabase": "/api/v2/apps/runs/\(id)"
    case "wes": "/ga4gh/wes/v1/runs/\(id)/status"
    default: "/api/v1/runs/\(id)"
    }
}

/// How a client of `vendor` presents `credential`.
func authHeaders(_ vendor: String, _ credential: String?) -> [(name: String, value: String)] {
    guard let credential else { return [] }
    switch vendor {
    case "sequentum": return [("Authorization", "ApiKey \(credential)")]
    case "wes": return [("X-SBG-Auth-Token", credential)]
    default: return bearer(credential)
    }
}
