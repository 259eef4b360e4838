/// What discovery asks a vendor's list call for: the window and the vendor's own filters.
public struct ListingQuery: Sendable, Equatable {
    /// The window: at most this many runs, in the vendor's list order.
    public var maxRuns: Int
    /// Runs per page (WES `page_size`, Instabase `limit`).
    public var pageSize: Int
    /// Instabase `from_timestamp`, Unix **seconds** (its run times are nanoseconds; the filter is not).
    public var fromTimestamp: Int64?
    /// Instabase filters.
    public var appID: String?
    public var deploymentID: String?
    public var statuses: [String]
    /// Sequentum: the agents whose runs are listed, one call each.
    public var agents: [Int32]
    /// Sequentum `maxRecords` per agent.
    public var maxRecords: Int

    public static let defaultPageSize = 100

    public init(maxRuns: Int, pageSize: Int = defaultPageSize, fromTimestamp: Int64? = nil, appID: String? = nil,
                deploymentID: String? = nil, statuses: [String] = [], agents: [Int32] = [], maxRecords: Int? = nil) {
        self.maxRuns = maxRuns
        self.pageSize = pageSize
        self.fromTimestamp = fromTimestamp
        self.appID = appID
        self.deploymentID = deploymentID
        self.statuses = statuses
        self.agents = agents
        self.maxRecords = maxRecords ?? maxRuns
    }
}

/// Where the next page of a list starts. Nil (no cursor) is the first page.
public enum ListingCursor: Sendable, Equatable {
    /// WES: the server's opaque `next_page_token`.
    case pageToken(String)
    /// Instabase: `offset`.
    case offset(Int)
    /// Sequentum: the index into `ListingQuery.agents` of the agent to list next.
    case agent(index: Int)
}

/// One run a list call named: its id as configured ids are written (Sequentum `AGENT/RUN`), and an
/// observation when the list carries enough to make one (Sequentum and Instabase list whole run
/// objects; WES lists the state, and 1.1 servers' `RunSummary` the times too).
public struct ListedRun: Sendable, Equatable {
    public var runID: String
    /// Nil when the entry carries no state, or one that does not decode (the run is then polled).
    public var observation: RunObservation?

    public init(runID: String, observation: RunObservation? = nil) {
        self.runID = runID
        self.observation = observation
    }
}

/// One decoded page of a list.
public struct RunListingPage: Sendable, Equatable {
    public var runs: [ListedRun]
    /// Nil when the list ends here.
    public var next: ListingCursor?
    /// Why entries were left out (no usable run id), for the log; bounded.
    public var skipped: [String]

    public init(runs: [ListedRun], next: ListingCursor?, skipped: [String] = []) {
        self.runs = runs
        self.next = next
        self.skipped = skipped
    }

    /// At most this many skip reasons are kept per page.
    public static let skippedLimit = 5
}

/// A vendor's list call: pure request building and decoding, as `VendorAdapter` is for status calls.
/// RSA and Nexio document none; `Vendor.lister` is nil for them.
public protocol RunLister: Sendable {
    /// The request for the page at `cursor` (nil: the first page).
    func listRequest(_ query: ListingQuery, cursor: ListingCursor?) -> VendorRequest

    /// Decodes one page (any HTTP status) into runs and the next cursor, or a classified error.
    func decodeList(_ response: VendorResponse, query: ListingQuery, cursor: ListingCursor?,
                    context: DecodeContext) -> Result<RunListingPage, PollError>

    /// How the list orders and pages its runs, and the `discover` keys it takes.
    var shape: ListingShape { get }
}

extension Vendor {
    /// The list call of this vendor, nil when it has none (RSA, Nexio: configured ids only).
    public var lister: (any RunLister)? {
        switch self {
        case .wes: WESAdapter()
        case .instabase: InstabaseAdapter()
        case .sequentum: SequentumAdapter()
        case .rsa, .nexio: nil
        }
    }

    /// The `discover` keys of every vendor that lists, for the error naming a key's owners.
    public static var discoverKeysByVendor: [Vendor: Set<String>] {
        var keys: [Vendor: Set<String>] = [:]
        for vendor in allCases { if let lister = vendor.lister { keys[vendor] = lister.shape.discoverKeys } }
        return keys
    }
}

/// Pieces every list decoder shares.
enum Listing {
    /// The subject of list messages, where status messages name the run.
    static let subject = "listing runs"

    static func error(_ detail: String, status: Int?) -> PollError {
        PollError(.decode, PollError.bounded("\(subject): \(detail)", limit: PollError.messageLimit), status: status)
    }

    /// The body of a 2xx list answer as JSON (an object or an array), or a decode error saying what came instead.
    static func document(_ response: VendorResponse) throws(PollError) -> JSONValue {
        switch response.bodyKind {
        case .empty: throw error("empty answer", status: response.status)
        case .html: throw error("answer is an HTML page, not JSON: " + response.htmlSummary, status: response.status)
        case .json, .text: break
        }
        do {
            return try JSONValue.parse(response.body)
        } catch {
            let what = error.offset >= response.body.count ? "answer is truncated JSON" : "answer is not valid JSON"
            throw Self.error("\(what) (\(error.description))", status: response.status)
        }
    }

    /// The error for a non-2xx list answer: reason by status, the vendor's text, and how long to wait
    /// (`Retry-After`, else `X-RateLimit-Reset`).
    static func failure(_ response: VendorResponse, now: Double, note: String? = nil) -> PollError {
        let reason = VendorResponse.reason(forStatus: response.status)
        var parts: [String] = []
        if let what = VendorResponse.statusNote(reason, status: response.status) { parts.append(what) }
        if let note { parts.append(note) }
        let text = response.errorText.map { PollError.cleaned($0, limit: PollError.vendorTextLimit) } ?? ""
        parts.append(text.isEmpty ? "no error text in the answer" : text)
        let message = PollError.bounded("\(subject): " + parts.joined(separator: ": "), limit: PollError.messageLimit)
        let wait = response.retryAfter(now: now) ?? (response.status == 429 ? response.rateLimitReset(now: now) : nil)
        return PollError(reason, message, status: response.status, retryAfter: wait)
    }

    /// A run id from a list entry: a string, or an integer written as a number. Nil for anything else.
    static func id(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let s)?: s
        case .number(let n)? where n.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }): n
        default: nil
        }
    }

    /// Adds a skip reason, bounded in count and length.
    static func skip(_ reasons: inout [String], _ reason: String) {
        guard reasons.count < RunListingPage.skippedLimit else { return }
        reasons.append(PollError.cleaned(reason, limit: 120))
    }

    /// `name=value` with the value percent-encoded.
    static func parameter(_ name: String, _ value: String) -> String {
        "\(name)=\(VendorRequest.percentEncoded(value))"
    }
}
