/// `GET /api/v2/apps/runs?from_timestamp=S&limit=N&offset=K[&app_id][&deployment_id][&status]` → `{"runs": [run, …]}`,
/// whole run objects, oldest first. `from_timestamp` is in seconds (run times are nanoseconds) and defaults to the
/// last 24 hours at the vendor, so it is always sent. A page shorter than `limit` is the last.
extension InstabaseAdapter: RunLister {
    public var shape: ListingShape {
        ListingShape(order: .oldestFirst, discoverKeys: ["app_id", "deployment_id", "status", "page_size"])
    }

    public func listRequest(_ query: ListingQuery, cursor: ListingCursor?) -> VendorRequest {
        var offset = 0
        if case .offset(let o)? = cursor { offset = o }
        var parameters: [String] = []
        if let from = query.fromTimestamp { parameters.append("from_timestamp=\(from)") }
        parameters.append("limit=\(query.pageSize)")
        parameters.append("offset=\(offset)")
        if let app = query.appID { parameters.append(Listing.parameter("app_id", app)) }
        if let deployment = query.deploymentID { parameters.append(Listing.parameter("deployment_id", deployment)) }
        if !query.statuses.isEmpty { parameters.append(Listing.parameter("status", query.statuses.joined(separator: ","))) }
        return VendorRequest(pathAndQuery: "/api/v2/apps/runs?" + parameters.joined(separator: "&"),
                             headers: VendorRequest.acceptJSON)
    }

    public func decodeList(_ response: VendorResponse, query: ListingQuery, cursor: ListingCursor?,
                           context: DecodeContext) -> Result<RunListingPage, PollError> {
        guard response.isSuccess else {
            let note = response.status == 403
                ? "the account has run out of consumption units (Instabase answers 403 for that; it is not a permission problem)"
                : nil
            return .failure(Listing.failure(response, now: context.now, note: note))
        }
        do throws(PollError) {
            let root = try Listing.document(response)
            guard root.objectValue != nil else {
                throw Listing.error("answer is \(root.kindName), expected a JSON object", status: response.status)
            }
            let entries: [JSONValue]
            switch root["runs"] {
            case .array(let items)?: entries = items
            case .null?: entries = []
            case let other?: throw Listing.error("field \"runs\" is \(other.kindName), expected an array", status: response.status)
            case nil: throw Listing.error("field \"runs\" is missing", status: response.status)
            }
            var runs: [ListedRun] = []
            var skipped: [String] = []
            for (i, entry) in entries.enumerated() {
                guard entry.objectValue != nil, let id = Listing.id(entry["id"]) else {
                    Listing.skip(&skipped, "runs[\(i)] has no id string")
                    continue
                }
                if let why = validate(runID: id) {
                    Listing.skip(&skipped, "runs[\(i)]: \(why)")
                    continue
                }
                let observation = try? Self.observation(entry, FieldReader(runID: id, status: response.status))
                runs.append(ListedRun(runID: id, observation: observation))
            }
            var offset = 0
            if case .offset(let o)? = cursor { offset = o }
            // Entries skipped still took their place in the vendor's paging.
            let next: ListingCursor? = entries.count < query.pageSize || entries.isEmpty ? nil : .offset(offset + entries.count)
            return .success(RunListingPage(runs: runs, next: next, skipped: skipped))
        } catch {
            return .failure(error)
        }
    }
}
