import HTTPServer

/// Sequentum Cloud: `GET /api/v1/agent/{agentId}/run/{runId}/status` and `GET /api/v1/agent/{agentId}/runs?maxRecords=N`.
extension VendorSimulator {
    func sequentum(_ request: HTTPRequest, rest: ArraySlice<Substring>, now: Double) -> HTTPResponse {
        let instance = String(request.path)
        guard authorized(.sequentum, request) else {
            return Self.sequentumProblem(401, "A valid API key or bearer token is required.", instance: instance)
        }
        if let wait = rateLimited(.sequentum, request, perMinute: scenario.sequentumRequestsPerMinute, now: now) {
            return Self.sequentumProblem(429, "Rate limit of \(scenario.sequentumRequestsPerMinute) requests per minute exceeded.",
                                         instance: instance, retryAfter: wait)
        }
        let parts = Array(rest)
        if parts.count == 4, parts[1] == "run", parts[3] == "status" {
            guard let agent = Int32(parts[0]), let runNumber = Int64(parts[2]) else {
                return Self.sequentumProblem(400, "agentId must be an int32 and runId an int64.", instance: instance)
            }
            let missing = "Run \(runNumber) was not found for agent \(agent)."
            guard let run = index.run(.sequentum, key: "\(agent)/\(runNumber)") else {
                return Self.sequentumProblem(404, missing, instance: instance)
            }
            return answer(run, now: now, error: { Self.sequentumProblem($0, $0 == 404 ? missing : nil, instance: instance) }) {
                Self.json(200, sequentumRun(run, $0))
            }
        }
        if parts.count == 2, parts[1] == "runs" {
            guard let agent = Int32(parts[0]) else {
                return Self.sequentumProblem(400, "agentId must be an int32.", instance: instance)
            }
            let maxRecords = QueryString(request.query)["maxRecords"]
            guard let limit = maxRecords.map({ Int($0) }) ?? 100, limit > 0 else {
                return Self.sequentumProblem(400, "maxRecords must be a positive integer.", instance: instance)
            }
            guard let positions = index.sequentumNewestFirstByAgent[Int64(agent)] else {
                return Self.sequentumProblem(404, "Agent \(agent) was not found.", instance: instance)
            }
            var objects: [String] = []
            for position in positions where objects.count < limit {
                let run = index.runs[position]
                if listed(run, now: now), let snapshot = run.snapshot(at: now) {
                    objects.append(sequentumRun(run, snapshot))
                }
            }
            return Self.json(200, JSONText.array(objects))
        }
        return Self.sequentumProblem(404, nil, instance: instance)
    }

    /// The document's full field set, in its order. Counters grow with the time the run has been going.
    private func sequentumRun(_ run: PreparedRun, _ snapshot: RunSnapshot) -> String {
        let seed = run.seed
        let statusCode = Int(snapshot.state)
        let failed = statusCode == 6 || statusCode == 7
        let succeeded = statusCode == 9 || statusCode == 10
        let busySeconds = snapshot.startedAt.map { (snapshot.finishedAt ?? snapshot.now) - $0 } ?? 0
        let pages = Int64(max(0, busySeconds) / 2)
        let dynamicPages = pages / 4
        let requests = pages + dynamicPages
        let data = pages * 10
        let names = ["Product Prices", "News Crawl", "Job Listings", "Real Estate Listings", "Flight Fares"]
        var o = JSONText()
        o.int("id", run.runNumber)
        o.int("configId", run.agentID)
        o.string("configName", run.details["configName"] ?? names[Int(run.agentID % Int64(names.count))])
        o.int("spaceId", 10 + run.agentID % 7)
        o.int("organizationId", 3001)
        o.string("organizationName", "Acme Data")
        o.int("sequence", Int64(seed % 500) + 1)
        o.int("parallelism", nil as Int64?)
        o.int("parallelMaxConcurrency", nil as Int64?)
        o.string("parallelExport", "Combined")
        o.int("parallelSet", nil as Int64?)
        o.string("startTime", snapshot.startedAt.map(Self.sequentumTime))
        o.string("endTime", snapshot.finishedAt.map(Self.sequentumTime))
        o.string("created", Self.sequentumTime(snapshot.created))
        o.raw("status", statusCode.map { String($0) } ?? JSONText.quoted(snapshot.state))
        o.string("message", failed ? "The agent stopped after 12 consecutive page load errors (HTTP 503)."
                          : statusCode == 8 ? "Run was stopped by user." : nil)
        o.int("configVersion", 1 + run.agentID % 9)
        o.int("actionCount", pages * 3)
        o.int("pageCount", pages)
        o.int("dynamicPageCount", dynamicPages)
        o.int("requestCount", requests)
        o.int("dataCount", data)
        o.int("inputCount", nil as Int64?)
        o.int("errorCount", failed ? Int64(seed % 5) + 1 : 0)
        o.int("exportCount", succeeded ? data : nil)
        o.int("traffic", requests * 48_213)
        o.int("runTimeSec", snapshot.finishedAt.flatMap { end in snapshot.startedAt.map { Int64(end - $0) } })
        o.string("serverName", "SEQ-AGENT-\(seed % 4 + 1)")
        o.string("tableType", nil)
        return o.closed
    }

    /// .NET's ISO 8601 in UTC, fraction digits trimmed.
    private static func sequentumTime(_ t: Double) -> String {
        TimeText.iso(t, digits: 6, trimmed: true)
    }

    /// RFC 7807 problem details, as ASP.NET writes them.
    static func sequentumProblem(_ status: Int, _ detail: String?, instance: String,
                                 retryAfter: Double? = nil) -> HTTPResponse {
        let type: String = switch status {
        case 400: "https://tools.ietf.org/html/rfc9110#section-15.5.1"
        case 401: "https://tools.ietf.org/html/rfc9110#section-15.5.2"
        case 403: "https://tools.ietf.org/html/rfc9110#section-15.5.4"
        case 404: "https://tools.ietf.org/html/rfc9110#section-15.5.5"
        case 429: "https://tools.ietf.org/html/rfc6585#section-4"
        case 500: "https://tools.ietf.org/html/rfc9110#section-15.6.1"
        case 503: "https://tools.ietf.org/html/rfc9110#section-15.6.4"
        default: "about:blank"
        }
        var o = JSONText()
        o.string("type", type)
        o.string("title", HTTPResponse.reasonPhrase(status))
        o.int("status", status)
        if let detail { o.string("detail", detail) }
        o.string("instance", instance)
        var headers: [(name: String, value: String)] = []
        if status == 429 { headers.append(("Retry-After", String(wholeSeconds(retryAfter ?? 60)))) }
        return HTTPResponse(status: status, contentType: "application/problem+json; charset=utf-8", body: o.closed,
                            headers: headers)
    }
}
