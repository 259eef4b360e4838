import HTTPServer

/// RSA Governance & Lifecycle: `GET /aveksa/command.submit?cmd=getRunStatus&run-id=N[&format=json]`.
extension VendorSimulator {
    func rsa(_ request: HTTPRequest, rest: ArraySlice<Substring>, now: Double) -> HTTPResponse {
        let rawQuery = String(request.query ?? "")
        let query = QueryString(request.query)
        let command = query["cmd"] ?? ""
        guard command == "getRunStatus" else {
            return Self.rsaError(400, "The command '\(command)' is not supported.\nQuery String=\(rawQuery)")
        }
        guard authorized(.rsa, request) else { return Self.rsaError(401, query: rawQuery) }
        guard let runID = query["run-id"] else {
            return Self.rsaError(412, "The parameter run-id is required.\nQuery String=\(rawQuery)")
        }
        guard let number = Int64(runID) else {
            return Self.rsaError(412, "The parameter run-id was unable to be parsed into a long.\nQuery String=\(rawQuery)")
        }
        guard let run = index.run(.rsa, key: String(number)) else {
            return Self.rsaError(404, runID: runID, query: rawQuery)
        }
        let json = query["format"] == "json"
        return answer(run, now: now, error: { Self.rsaError($0, runID: runID, query: rawQuery) }) { snapshot in
            rsaStatus(snapshot, json: json)
        }
    }

    private func rsaStatus(_ snapshot: RunSnapshot, json: Bool) -> HTTPResponse {
        let offset = scenario.rsaUTCOffsetSeconds
        let start = snapshot.startedAt.map { TimeText.rsa($0, utcOffset: offset) }
        // Aborted runs report completed-time equal to start-time, as the document says.
        let completed = snapshot.state == "Aborted" ? start : snapshot.finishedAt.map { TimeText.rsa($0, utcOffset: offset) }
        var fields: [(String, String)] = [("overall-status", snapshot.state)]
        if let start { fields.append(("start-time", start)) }
        if let completed { fields.append(("completed-time", completed)) }
        if json {
            var data = JSONText()
            data.string("type", "getRunStatus")
            for (key, value) in fields { data.string(key, value) }
            var body = JSONText()
            body.raw("data", data.closed)
            return Self.json(200, body.closed)
        }
        let lines = fields.map { "\($0.0)=\($0.1)\n" }.joined()
        return HTTPResponse(status: 200, contentType: "text/plain;charset=UTF-8", body: lines)
    }

    /// RSA's error for `status`, with the document's texts for 401 and 404.
    static func rsaError(_ status: Int, runID: String = "", query: String) -> HTTPResponse {
        switch status {
        case 401:
            return rsaError(401, "The token is not valid for the command 'getRunStatus'. Token is invalid or expired")
        case 404:
            return rsaError(404, "The run-id \(runID) is invalid.\nQuery String=\(query)")
        default:
            return rsaError(status, "An error occurred processing the command 'getRunStatus'.\nQuery String=\(query)")
        }
    }

    /// RSA answers errors with an HTML page, even when JSON was asked for.
    static func rsaError(_ status: Int, _ message: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/html;charset=UTF-8",
                     body: "<html>\n<head>\n<title>Error</title>\n</head>\n<body>\(message)</body>\n</html>")
    }
}
