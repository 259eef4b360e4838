import Foundation
import RunStatusModel

/// Makes one HTTP GET. A protocol so tests and benchmarks can swap the transport; production uses `CurlFetcher`.
public protocol Fetcher: Sendable {
    /// Never throws: transport failures come back as a classified `PollError`. A cancelled calling Task gets
    /// `.timeout` with a "cancelled" message (what URLSession's `URLError.cancelled` was mapped to); the poller's
    /// loop, cancelled too, ends after that cycle.
    func get(_ url: URL, headers: [String: String], timeout: Double, maxBodyBytes: Int) async -> Result<VendorResponse, PollError>
}
