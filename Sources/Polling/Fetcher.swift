import Configuration
import Foundation
import Logging
import RunStatusModel
import RunStore

/// Makes one HTTP GET. A protocol so tests and benchmarks can swap the transport; production uses `CurlFetcher`.
public protocol Fetcher: Sendable {
    /// Never throws: transport failures come back as a classified `PollError`. A cancelled calling Task (a reload or
    /// shutdown) gets a failure at once, whatever its reason: the poller sees its own Task cancelled and counts such a
    /// request as never made, and its loop ends after that cycle.
    func get(_ url: URL, headers: [String: String], timeout: Double, maxBodyBytes: Int) async -> Result<VendorResponse, PollError>
}
