/// `GET {root}/runs?page_size=N&page_token=T` → `{"runs": [{"run_id", "state"}], "next_page_token": T}`; an
/// empty or absent token ends the list. Some servers (the GA4GH reference `wes-server`) name the array
/// `workflows`; WES 1.1 servers list `RunSummary` objects that carry `start_time` and `end_time` too.
extension WESAdapter: RunLister {
    public var shape: ListingShape { ListingShape(order: .newestFirst, discoverKeys: ["page_size"]) }

    public func listRequest(_ query: ListingQuery, cursor: ListingCursor?) -> VendorRequest {
        var path = "/runs?page_size=\(query.pageSize)"
        if case .pageToken(let token)? = cursor { path += "&" + Listing.parameter("page_token", token) }
        return VendorRequest(pathAndQuery: path, headers: VendorRequest.acceptJSON)
    }

    public func decodeList(_ response: VendorResponse, query: ListingQuery, cursor: ListingCursor?,
                           context: DecodeContext) -> Result<RunListingPage, PollError> {
        guard response.isSuccess else { return .failure(Listing.failure(response, now: context.now)) }
        do throws(PollError) {
            let root = try Listing.document(response)
            guard root.objectValue != nil else {
                throw Listing.error("answer is \(root.kindName), expected a JSON object", status: response.status)
            }
            let entries: [JSONValue]
            switch root["runs"] ?? root["workflows"] {
            case .array(let items)?: entries = items
            case .null?: entries = []
            case let other?:
                throw Listing.error("field \"runs\" is \(other.kindName), expected an array", status: response.status)
            case nil:
                throw Listing.error("the answer has neither \"runs\" nor \"workflows\"", status: response.status)
            }
            var runs: [ListedRun] = []
            var skipped: [String] = []
            for (i, entry) in entries.enumerated() {
                guard entry.objectValue != nil, let id = Listing.id(entry["run_id"]) else {
                    Listing.skip(&skipped, "runs[\(i)] has no run_id string")
                    continue
                }
                if let why = validate(runID: id) {
                    Listing.skip(&skipped, "runs[\(i)]: \(why)")
                    continue
                }
                runs.append(ListedRun(runID: id, observation: Self.summary(entry, id, response.status)))
            }
            var next: ListingCursor?
            switch root["next_page_token"] {
            case .string(let token)? where !token.trimmingSpaces.isEmpty:
                // A server that hands back the token it was given would page forever.
                if cursor == .pageToken(token) {
                    throw Listing.error("next_page_token repeats the token of this page", status: response.status)
                }
                next = .pageToken(token)
            case .number(let token)?:
                next = .pageToken(token)
            default:
                next = nil
            }
            return .success(RunListingPage(runs: runs, next: next, skipped: skipped))
        } catch {
            return .failure(error)
        }
    }

    /// The entry's state, and its times when it carries either time field (a 1.1 `RunSummary`); nil when the
    /// state is missing or not a string (the run is then polled on its own).
    static func summary(_ entry: JSONValue, _ runID: String, _ status: Int) -> RunObservation? {
        let reader = FieldReader(runID: runID, status: status)
        guard entry["state"] != nil, let (state, vendorState, mapped) = try? Self.state(entry, reader) else { return nil }
        guard entry["start_time"] != nil || entry["end_time"] != nil else {
            return .normalized(state: state, vendorState: vendorState, mapped: mapped, start: nil, end: nil, timesUnknown: true)
        }
        do throws(PollError) {
            return .normalized(state: state, vendorState: vendorState, mapped: mapped,
                               start: try Self.time(entry["start_time"], "start_time", reader),
                               end: try Self.time(entry["end_time"], "end_time", reader))
        } catch {
            // A time that does not parse leaves the times unknown: the details call will ask again.
            return .normalized(state: state, vendorState: vendorState, mapped: mapped, start: nil, end: nil, timesUnknown: true)
        }
    }
}
