import HTTPServer

/// GA4GH WES as Cavatica hosts it, under `/ga4gh/wes/v1`: `runs/{id}/status`, `runs/{id}`, `runs?page_size&page_token`.
extension VendorSimulator {
    func wes(_ request: HTTPRequest, rest: ArraySlice<Substring>, now: Double) -> HTTPResponse {
        guard authorized(.wes, request) else { return Self.wesError(401) }
        let parts = Array(rest)
        if parts.isEmpty { return wesList(QueryString(request.query), now: now) }
        guard parts.count == 1 || (parts.count == 2 && parts[1] == "status") else { return Self.wesError(404) }
        let runID = String(parts[0])
        guard let run = index.run(.wes, key: runID) else { return Self.wesError(404) }
        let statusOnly = parts.count == 2
        return answer(run, now: now, error: { Self.wesError($0) }) { snapshot in
            Self.json(200, statusOnly ? Self.wesStatus(run, snapshot) : Self.wesRunLog(run, snapshot))
        }
    }

    /// Newest first. A page token is an opaque position in the fixed order, so runs created meanwhile (which sort
    /// before it) neither shift nor repeat later pages; an empty token ends the list.
    private func wesList(_ query: QueryString, now: Double) -> HTTPResponse {
        let pageSize = query["page_size"].map { Int($0) } ?? 50
        guard let pageSize, pageSize > 0 else { return Self.wesError(400, "page_size must be a positive integer") }
        var position = 0
        if let token = query["page_token"], !token.isEmpty {
            guard let decoded = Self.wesPosition(token: token), decoded <= index.wesNewestFirst.count else {
                return Self.wesError(400, "Invalid page_token")
            }
            position = decoded
        }
        let order = index.wesNewestFirst
        var runs: [String] = []
        var next = ""
        while position < order.count {
            let run = index.runs[order[position]]
            if listed(run, now: now), let snapshot = run.snapshot(at: now) {
                if runs.count == pageSize { next = Self.wesToken(position: position); break }
                runs.append(scenario.wesListsRunSummaries ? Self.wesSummary(run, snapshot) : Self.wesStatus(run, snapshot))
            }
            position += 1
        }
        var body = JSONText()
        body.raw("runs", JSONText.array(runs))
        body.string("next_page_token", next)
        return Self.json(200, body.closed)
    }

    /// WES 1.1's `RunSummary`: the state and the times, RFC 3339 or empty before they happen.
    private static func wesSummary(_ run: PreparedRun, _ snapshot: RunSnapshot) -> String {
        var o = JSONText()
        o.string("run_id", run.id)
        o.string("state", snapshot.state)
        o.string("start_time", snapshot.startedAt.map { TimeText.iso($0) } ?? "")
        o.string("end_time", snapshot.finishedAt.map { TimeText.iso($0) } ?? "")
        o.raw("tags", "{}")
        return o.closed
    }

    private static func wesStatus(_ run: PreparedRun, _ snapshot: RunSnapshot) -> String {
        var o = JSONText()
        o.string("run_id", run.id)
        o.string("state", snapshot.state)
        return o.closed
    }

    /// The full run log; times are RFC 3339, or empty strings before they happen, as Cavatica sends them.
    private static func wesRunLog(_ run: PreparedRun, _ snapshot: RunSnapshot) -> String {
        let workflow = run.details["workflow_url"] ?? "https://cavatica.sbgenomics.com/public/apps/sbg/rna-seq-alignment-star/12"
        var request = JSONText()
        request.raw("workflow_params", "{}")
        request.string("workflow_type", "CWL")
        request.string("workflow_type_version", "v1.0")
        request.raw("tags", "{}")
        request.raw("workflow_engine_parameters", "{}")
        request.string("workflow_url", workflow)
        let exitCode: Int64? = switch snapshot.state {
        case "COMPLETE": 0
        case "EXECUTOR_ERROR": 1
        default: nil
        }
        var log = JSONText()
        log.string("name", "task-\(run.id.prefix(8))")
        log.raw("cmd", "[]")
        log.string("start_time", snapshot.startedAt.map { TimeText.iso($0) } ?? "")
        log.string("end_time", snapshot.finishedAt.map { TimeText.iso($0) } ?? "")
        log.string("stdout", "")
        log.string("stderr", "")
        log.int("exit_code", exitCode)
        var o = JSONText()
        o.string("run_id", run.id)
        o.string("state", snapshot.state)
        o.raw("request", request.closed)
        o.raw("run_log", log.closed)
        o.raw("task_logs", "[]")
        o.raw("outputs", "{}")
        return o.closed
    }

    /// Scrambled so clients treat the token as opaque rather than computing offsets.
    private static let tokenMask: UInt64 = 0x5eed_cafe_f00d

    private static func wesToken(position: Int) -> String {
        "pt" + String(UInt64(position) ^ tokenMask, radix: 16)
    }

    private static func wesPosition(token: String) -> Int? {
        guard token.hasPrefix("pt"), let value = UInt64(token.dropFirst(2), radix: 16) else { return nil }
        let position = value ^ tokenMask
        return position <= UInt64(Int.max) ? Int(position) : nil
    }

    /// `{"msg": …, "status_code": …}`.
    static func wesError(_ status: Int, _ message: String? = nil) -> HTTPResponse {
        let fallback: String = switch status {
        case 401: "Unauthorized: the auth token is missing or invalid"
        case 403: "Forbidden: no access to this run"
        case 404: "The requested run was not found"
        default: "Internal server error"
        }
        let text = message ?? fallback
        var o = JSONText()
        o.string("msg", text)
        o.int("status_code", status)
        return json(status, o.closed)
    }
}
