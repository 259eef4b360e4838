import TestSupport
import Testing
@testable import RunStatusModel

/// Deterministic random input: a few thousand mutated variants of the documents' examples and
/// the edge cases, fed to every adapter. Each must answer a `Result` that keeps the model's
/// invariants, never trap. This is the suite's fuzzing.
@Suite struct AdapterFuzzTests {
    static let seeds: [String] = [
        RSAAdapterTests.running, RSAAdapterTests.completed, RSAAdapterTests.aborted, RSAAdapterTests.properties,
        RSAAdapterTests.invalidToken, RSAAdapterTests.invalidRunID,
        SequentumAdapterTests.example,
        #"{"status": "Completed", "startTime": "2023-11-07T05:31:56.1234567", "endTime": null, "runTimeSec": 12, "errorCount": 0}"#,
        InstabaseAdapterTests.example,
        #"{"status": "RUNNING", "start_timestamp": 1689000000123456789, "finish_timestamp": 0}"#,
        WESAdapterTests.example,
        #"{"run_id": "r", "state": "EXECUTOR_ERROR", "run_log": {"start_time": "", "end_time": "1768471200.5"}}"#,
        #"{"run_id": "r", "state": null, "run_log": {"start_time": "2026-01-15T10:00:00", "end_time": 1768471200}}"#,
        NexioAdapterTests.example,
        #"{"status": "degraded", "created_at": "2026-04-01T18:19:38.851Z", "completed_at": "2026-04-01T18:20:38.851+00:00", "duration_ms": 60000}"#,
        #"{"error": {"code": "auth_unavailable", "message": "later"}}"#,
        #"{"type": "about:blank", "title": "Not Found", "status": 404, "detail": "no run"}"#,
    ]

    static let splices: [String] = [
        "123456789012345678901234567890", "-9223372036854775809", "9223372036854775808", "1e999", "-0", "0.0000001",
        "\"\\ud800\"", "\"\\u0000\"", "null", "true", "[]", "{}", "\"\"", "\u{0}", "\u{FEFF}", "é", "\r\n", "=", ":",
        "\"9999-12-31T23:59:60+23:59\"", "\"0000-01-01T00:00:00Z\"", "\"2026-02-29 10:00:00\"", "<body>", "</body>", "&#1114112;",
        "\"status\": 4294967296", "\"state\": \"\"", "\"overall-status\": \"Aborted\"",
    ]

    static let statuses = [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 201, 204, 301, 400, 401, 403, 404, 412, 422, 429, 500, 502, 503, 0, -7, 999]
    static let hints = ["", "0", "30", "-1", "1e9", "99999999999999999999999999", "Thu, 15 Jan 2026 10:02:00 GMT",
                        "Thu, 99 Jan 2026 10:02:00 GMT", "\(Int(testNow) * 1000)", "nan", "1.", "\u{0}"]
    static let zones = ["UTC", "Europe/Berlin", "America/New_York", "Nowhere/Special", ""]
    static let runIDs = ["1001", "42/1001", "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "", "..", "a/b/c", "\u{0}x", "é ?#%",
                         String(repeating: "9", count: 300)]

    static func mutate(_ input: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 0...2, using: &rng) {
            let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<8, using: &rng) {
            case 0: bytes = Array(bytes.prefix(at))
            case 1 where !bytes.isEmpty: bytes[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            case 2 where !bytes.isEmpty: bytes[at] = UInt8.random(in: 0...255, using: &rng)
            case 3: bytes.insert(contentsOf: Array(splices.randomElement(using: &rng)!.utf8), at: at)
            case 4:
                // Swap a run of digits for a huge number.
                if let start = bytes[at...].firstIndex(where: { $0 >= 0x30 && $0 <= 0x39 }) {
                    let end = bytes[start...].firstIndex(where: { $0 < 0x30 || $0 > 0x39 }) ?? bytes.endIndex
                    bytes.replaceSubrange(start..<end, with: Array(String(repeating: "9", count: Int.random(in: 15...60, using: &rng)).utf8))
                }
            case 5:
                let depth = Int.random(in: 100...3_000, using: &rng)
                let open = Bool.random(using: &rng) ? Array("[".utf8) : Array(#"{"data":"#.utf8)
                bytes = Array(repeating: open, count: depth).flatMap { $0 } + bytes
            case 6:
                let end = min(bytes.count, at + Int.random(in: 0...64, using: &rng))
                bytes.insert(contentsOf: bytes[at..<end], at: at)
            default:
                bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...8, using: &rng)))
            }
        }
        return Array(bytes.prefix(256 * 1024))
    }

    @Test func everyAdapterSurvivesMutatedAnswers() {
        var rng = SeededGenerator(seed: 0x5EED_2026)
        let adapters: [any VendorAdapter] = Vendor.allCases.map(\.adapter)
        var successes = 0, failures = 0
        for _ in 0..<2_000 {
            let body = Self.mutate(Array(Self.seeds.randomElement(using: &rng)!.utf8), &rng)
            var headers: [String: String] = [:]
            if Bool.random(using: &rng) { headers["Retry-After"] = Self.hints.randomElement(using: &rng)! }
            if Bool.random(using: &rng) { headers["X-RateLimit-Reset"] = Self.hints.randomElement(using: &rng)! }
            let response = VendorResponse(status: Self.statuses.randomElement(using: &rng)!, headers: headers, body: body)
            let context = DecodeContext(timeZoneIdentifier: Self.zones.randomElement(using: &rng)!, now: testNow)
            let runID = Self.runIDs.randomElement(using: &rng)!
            for adapter in adapters {
                var results = [adapter.decodeStatus(response, runID: runID, context: context)]
                // Only WES has a details call of its own; elsewhere it is decodeStatus again.
                if adapter.detailsRequest(runID: runID) != nil {
                    results.append(adapter.decodeDetails(response, runID: runID, context: context))
                }
                for result in results {
                    switch result {
                    case .success(let o):
                        successes += 1
                        Self.check(o, adapter.vendor, response)
                    case .failure(let e):
                        failures += 1
                        Self.check(e, adapter.vendor, response)
                    }
                }
            }
        }
        // Both outcomes must be exercised, or the mutations are too weak (or too strong) to test anything.
        #expect(successes > 500)
        #expect(failures > 1_000)
    }

    static func check(_ o: RunObservation, _ vendor: Vendor, _ response: VendorResponse) {
        #expect(response.isSuccess, "\(vendor) accepted HTTP \(response.status)")
        #expect(o.vendorState.count <= RunObservation.vendorStateLimit)
        #expect(!o.vendorState.unicodeScalars.contains { $0.value < 0x20 }, "\(vendor): \(o.vendorState)")
        #expect(o.mapped || o.state == .unknown)
        #expect(o.endTime == nil || o.state.isTerminal, "\(vendor): end time on a \(o.state) run")
        for t in [o.startTime, o.endTime].compactMap({ $0 }) {
            #expect(t >= 0 && t <= Timestamp.latestSeconds, "\(vendor): time \(t)")
        }
        for v in [o.reportedDuration, o.reportedErrors].compactMap({ $0 }) { #expect(v.isFinite) }
    }

    static func check(_ e: PollError, _ vendor: Vendor, _ response: VendorResponse) {
        #expect(!e.message.isEmpty && e.message.count <= PollError.messageLimit, "\(vendor): \(e.message.count) characters")
        #expect(!e.message.unicodeScalars.contains { $0.value < 0x20 }, "\(vendor): \(e.message)")
        #expect(e.message.hasPrefix("run "), "\(vendor): \(e.message)")
        #expect(e.status == response.status)
        if let wait = e.retryAfter { #expect(wait >= 0 && wait <= VendorResponse.longestWait) }
        if response.isSuccess { #expect(e.reason == .decode, "\(vendor): \(e)") }
    }

    @Test func requestsStayOnePathSegment() {
        var rng = SeededGenerator(seed: 7)
        let alphabet = Array("09az/.%?#&= é\u{0}\u{7F}-_~".unicodeScalars)
        func slashes(_ r: VendorRequest?) -> Int { r?.pathAndQuery.count(where: { $0 == "/" }) ?? 0 }
        for adapter in Vendor.allCases.map(\.adapter) {
            let benign = adapter.vendor == .sequentum ? "1/2" : "1"
            let statusSlashes = slashes(adapter.statusRequest(runID: benign))
            let detailsSlashes = slashes(adapter.detailsRequest(runID: benign))
            for _ in 0..<400 {
                let id = String(String.UnicodeScalarView((0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }))
                let status = adapter.statusRequest(runID: id)
                // Whatever the id holds, it cannot add a path segment, a query parameter or a fragment.
                #expect(slashes(status) == statusSlashes, "\(id)")
                #expect(slashes(adapter.detailsRequest(runID: id)) == detailsSlashes, "\(id)")
                for request in [status, adapter.detailsRequest(runID: id)].compactMap({ $0 }) {
                    #expect(request.pathAndQuery.hasPrefix("/"))
                    #expect(request.pathAndQuery.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "\(request.pathAndQuery)")
                    #expect(!request.pathAndQuery.contains("#"))
                    #expect(request.pathAndQuery.count(where: { $0 == "?" }) == (adapter.vendor == .rsa ? 1 : 0))
                    #expect(request.pathAndQuery.count(where: { $0 == "&" }) == (adapter.vendor == .rsa ? 2 : 0))
                }
            }
        }
    }
}
