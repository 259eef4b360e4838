import HTTPServer

/// Instabase AI Hub: `GET /api/v2/apps/runs/{run_id}` and `GET /api/v2/apps/runs?from_timestamp=S&limit=N&offset=K…`.
extension VendorSimulator {
    func instabase(_ request: HTTPRequest, rest: ArraySlice<Substring>, now: Double) -> HTTPResponse {
        guard authorized(.instabase, request) else { return Self.instabaseError(401) }
        switch rest.count {
        case 0:
            return instabaseList(QueryString(request.query), now: now)
        case 1:
            let runID = String(rest[rest.startIndex])
            guard let run = index.run(.instabase, key: runID) else {
                return Self.instabaseError(404, "Run \(runID) not found")
            }
            return answer(run, now: now, error: { Self.instabaseError($0, $0 == 404 ? "Run \(runID) not found" : nil) }) {
                Self.json(200, instabaseRun(run, $0))
            }
        default:
            return Self.instabaseError(404, "Not found")
        }
    }

    /// The filter times are seconds while the runs' times are nanoseconds; the default window is the last 24 hours.
    private func instabaseList(_ query: QueryString, now: Double) -> HTTPResponse {
        /// The parameter's value, `fallback` when absent, nil when not an integer of at least `minimum`.
        func integer(_ name: String, _ fallback: Int64, minimum: Int64) -> Int64? {
            guard let text = query[name] else { return fallback }
            guard let value = Int64(text), value >= minimum else { return nil }
            return value
        }
        guard let from = integer("from_timestamp", Int64(now) - 86_400, minimum: 0),
              let to = integer("to_timestamp", Int64.max, minimum: 0),
              let limit = integer("limit", 100, minimum: 1),
              let offset = integer("offset", 0, minimum: 0) else {
            return Self.instabaseError(400, "from_timestamp, to_timestamp and offset must be non-negative integers, limit a positive one")
        }
        let statuses = query["status"].map { Set($0.split(separator: ",").map(String.init)) }
        let appID = query["app_id"], deploymentID = query["deployment_id"]
        var skipped: Int64 = 0
        var objects: [String] = []
        for position in index.instabaseOldestFirst where Int64(objects.count) < limit {
            let run = index.runs[position]
            guard listed(run, now: now), run.created >= Double(from), run.created <= Double(to),
                  appID == nil || instabaseAppID(run) == appID,
                  deploymentID == nil || instabaseDeploymentID(run) == deploymentID,
                  let snapshot = run.snapshot(at: now),
                  statuses?.contains(snapshot.state) ?? true else { continue }
            if skipped < offset { skipped += 1; continue }
            objects.append(instabaseRun(run, snapshot))
        }
        var body = JSONText()
        body.raw("runs", JSONText.array(objects))
        return Self.json(200, body.closed)
    }

    /// The document's example fields, in its order; times in integer Unix nanoseconds, finish null while running.
    private func instabaseRun(_ run: PreparedRun, _ snapshot: RunSnapshot) -> String {
        let extraNanos = Int64(run.seed % 1_000)
        let batch = 4_000 + Int64(run.seed % 1_000)
        let message: String? = switch snapshot.state {
        case "COMPLETE": "Run completed successfully."
        case "FAILED": "Run failed: the extraction step raised an error on 2 of 12 files."
        case "CANCELLED": "Run was cancelled by user before completion."
        case "STOPPED_AT_CHECKPOINT": "Validation errors: the run is waiting for human review."
        default: nil
        }
        var o = JSONText()
        o.string("id", run.id)
        o.string("status", snapshot.state)
        o.int("start_timestamp", TimeText.nanoseconds(snapshot.created, extraNanos: extraNanos))
        o.int("finish_timestamp", snapshot.finishedAt.map { TimeText.nanoseconds($0, extraNanos: extraNanos) })
        o.string("msg", run.details["msg"] ?? message)
        o.int("batch_id", batch)
        o.string("input_dir", "/data/input/batch_\(batch)")
        o.string("app_id", instabaseAppID(run))
        o.string("deployment_id", instabaseDeploymentID(run))
        o.raw("tags", JSONText.array([JSONText.quoted("simulated")]))
        return o.closed
    }

    private func instabaseAppID(_ run: PreparedRun) -> String {
        run.details["app_id"] ?? ["app_9876543210", "app_1234509876", "app_5550001111"][Int(run.seed % 3)]
    }

    private func instabaseDeploymentID(_ run: PreparedRun) -> String {
        run.details["deployment_id"] ?? "deploy_\(1_234_567_890 + run.seed % 2)"
    }

    /// `{"message": …}`; 403 is the account out of consumption units, not a permission problem.
    static func instabaseError(_ status: Int, _ message: String? = nil) -> HTTPResponse {
        let fallback: String = switch status {
        case 401: "Invalid or expired token"
        case 403: "Your organization has run out of consumption units. Contact your administrator to purchase more."
        case 404: "Not found"
        case 429: "Too many requests"
        default: "Internal server error"
        }
        let text = message ?? fallback
        var o = JSONText()
        o.string("message", text)
        return json(status, o.closed)
    }
}
