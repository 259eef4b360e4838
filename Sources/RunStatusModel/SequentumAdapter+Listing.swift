/// `GET /api/v1/agent/{agentId}/runs?maxRecords=N` → a JSON array of whole run objects (the status call's shape),
/// newest first; one call per configured agent. Run ids become `AGENT/RUN` as configured ids are written.
/// Listing spares the per-run status calls against Sequentum's 100-requests-a-minute limit.
extension SequentumAdapter: RunLister {
    public var shape: ListingShape {
        ListingShape(order: .perAgent, discoverKeys: ["agents", "max_records"],
                     requiredDiscoverKeys: ["agents": "the agents whose runs to list, e.g. [7, 8]"])
    }

    public func listRequest(_ query: ListingQuery, cursor: ListingCursor?) -> VendorRequest {
        let agent = Self.agent(query, cursor) ?? 0
        return VendorRequest(pathAndQuery: "/api/v1/agent/\(agent)/runs?maxRecords=\(query.maxRecords)",
                             headers: VendorRequest.acceptJSON)
    }

    static func agent(_ query: ListingQuery, _ cursor: ListingCursor?) -> Int32? {
        var index = 0
        if case .agent(let i)? = cursor { index = i }
        return query.agents.indices.contains(index) ? query.agents[index] : nil
    }

    public func decodeList(_ response: VendorResponse, query: ListingQuery, cursor: ListingCursor?,
                           context: DecodeContext) -> Result<RunListingPage, PollError> {
        guard response.isSuccess else { return .failure(Listing.failure(response, now: context.now)) }
        var index = 0
        if case .agent(let i)? = cursor { index = i }
        let next: ListingCursor? = index + 1 < query.agents.count ? .agent(index: index + 1) : nil
        guard let agent = Self.agent(query, cursor) else { return .success(RunListingPage(runs: [], next: nil)) }
        do throws(PollError) {
            let root = try Listing.document(response)
            let entries: [JSONValue]
            // The documented answer is an array; accept one wrapped in an object as well.
            switch root {
            case .array(let items): entries = items
            case .object:
                guard let items = (root["runs"] ?? root["items"])?.arrayValue else {
                    throw Listing.error("answer is an object without a \"runs\" array", status: response.status)
                }
                entries = items
            default:
                throw Listing.error("answer is \(root.kindName), expected a JSON array", status: response.status)
            }
            var runs: [ListedRun] = []
            var skipped: [String] = []
            for (i, entry) in entries.enumerated() {
                guard entry.objectValue != nil, let number = entry["id"]?.int64Value, number >= 0 else {
                    Listing.skip(&skipped, "agent \(agent) runs[\(i)] has no integer id")
                    continue
                }
                let id = "\(agent)/\(number)"
                let observation = try? Self.observation(entry, FieldReader(runID: id, status: response.status))
                runs.append(ListedRun(runID: id, observation: observation))
            }
            return .success(RunListingPage(runs: runs, next: next, skipped: skipped))
        } catch {
            return .failure(error)
        }
    }
}
