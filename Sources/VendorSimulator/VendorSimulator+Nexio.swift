import HTTPServer

/// Nexio: `GET /api/v1/runs/{run_id}`.
extension VendorSimulator {
    func nexio(_ request: HTTPRequest, rest: ArraySlice<Substring>, now: Double) -> HTTPResponse {
        guard authorized(.nexio, request) else { return Self.nexioError(401, now: now) }
        if let wait = rateLimited(.nexio, request, perMinute: scenario.nexioRequestsPerMinute, now: now) {
            return Self.nexioError(429, now: now, resetIn: wait)
        }
        guard rest.count == 1 else { return Self.nexioError(404, now: now) }
        let runID = String(rest[rest.startIndex])
        guard Self.isUUID(runID) else {
            return Self.nexioError(422, "run_id must be a UUID", now: now)
        }
        guard let run = index.run(.nexio, key: runID) else {
            return Self.nexioError(404, "Run \(runID) not found", now: now)
        }
        return answer(run, now: now, error: { Self.nexioError($0, now: now) }) { snapshot in
            Self.json(200, nexioRun(run, snapshot))
        }
    }

    private static let stages = ["INGEST", "FILTER", "EVALUATE", "RANK"]

    /// Optional fields appear only where the document says they do: `stage` once processing, `output` on successes,
    /// `error` on failures, `duration_ms` and `completed_at` on terminal runs.
    private func nexioRun(_ run: PreparedRun, _ snapshot: RunSnapshot) -> String {
        let liveKey = scenario.credentials["nexio"]?.hasPrefix("nx_live_") ?? false
        var o = JSONText()
        o.string("run_id", run.id)
        o.string("status", snapshot.state)
        o.string("environment", run.details["environment"] ?? (liveKey ? "live" : "test"))
        o.string("created_at", Self.nexioTime(snapshot.created))
        if let version = run.details["engine_version"] {
            o.string("engine_version", version)
        }
        if let started = snapshot.startedAt {
            // One stage every 30 s of processing, frozen when the run ends.
            let reached = Int(((snapshot.finishedAt ?? snapshot.now) - started) / 30)
            let stage = snapshot.state == "completed" || snapshot.state == "degraded"
                ? Self.stages[Self.stages.count - 1] : Self.stages[min(Self.stages.count - 1, max(0, reached))]
            o.string("stage", stage)
            if snapshot.state == "completed" || snapshot.state == "degraded" {
                var output = JSONText()
                output.string("summary", "12 candidates evaluated, 3 placements ranked")
                output.int("solution_count", 3)
                if snapshot.state == "degraded" {
                    output.string("degradation_reason", "The pricing source timed out; rankings use cached prices.")
                }
                o.raw("output", output.closed)
            }
            if let finished = snapshot.finishedAt {
                o.int("duration_ms", Int64(((finished - started) * 1_000).rounded()))
            }
            if snapshot.state == "failed" {
                o.string("error", "Stage \(stage) failed: upstream model returned no candidates")
                var details = JSONText()
                details.string("stage", stage)
                details.string("reason", "empty_candidate_set")
                o.raw("error_details", details.closed)
            }
        }
        if let finished = snapshot.finishedAt { o.string("completed_at", Self.nexioTime(finished)) }
        return o.closed
    }

    /// RFC 3339 with milliseconds, always three digits, as JavaScript writes it.
    private static func nexioTime(_ t: Double) -> String {
        TimeText.iso(t, digits: 3)
    }

    private static func isUUID(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard bytes.count == 36 else { return false }
        for (i, b) in bytes.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                if b != UInt8(ascii: "-") { return false }
            } else if !(b >= 0x30 && b <= 0x39) && !(b | 0x20 >= 0x61 && b | 0x20 <= 0x66) {
                return false
            }
        }
        return true
    }

    /// `{"error": {"code", "message"}}`; the auth gateway's transient 503 comes flat, `{"code", "message"}`.
    /// A 429 carries `X-RateLimit-Reset`, the Unix second the window reopens.
    static func nexioError(_ status: Int, _ message: String? = nil, now: Double, resetIn: Double = 60) -> HTTPResponse {
        let (code, text): (String, String) = switch status {
        case 400: ("invalid_request", "The request is malformed")
        case 401: ("unauthorized", "Missing or invalid API key")
        case 403: ("forbidden", "This API key cannot read this run")
        case 404: ("not_found", "Run not found")
        case 422: ("validation_error", "The request failed validation")
        case 429: ("rate_limited", "Too many requests; retry after the rate limit window resets")
        case 503: ("auth_unavailable", "Authentication is temporarily unavailable; retry shortly")
        default: ("internal_error", "An internal error occurred")
        }
        var error = JSONText()
        error.string("code", code)
        error.string("message", message ?? text)
        var headers: [(name: String, value: String)] = []
        if status == 429 {
            headers = [("X-RateLimit-Reset", String(Int64((now + resetIn).rounded(.up)))),
                       ("X-RateLimit-Remaining", "0")]
        }
        if status == 503 { return json(status, error.closed, headers: headers) }
        var o = JSONText()
        o.raw("error", error.closed)
        return json(status, o.closed, headers: headers)
    }
}
