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
    /// The same with the target's TLS and proxy settings (`tls_config`, `proxy_url`, …); what the poller calls.
    func get(_ url: URL, headers: [String: String], timeout: Double, maxBodyBytes: Int,
             client: ClientConfig) async -> Result<VendorResponse, PollError>
}

extension Fetcher {
    /// Fetchers that never touch the network (test doubles, benchmark replays) have no TLS or proxy to set up.
    public func get(_ url: URL, headers: [String: String], timeout: Double, maxBodyBytes: Int,
                    client: ClientConfig) async -> Result<VendorResponse, PollError> {
        await get(url, headers: headers, timeout: timeout, maxBodyBytes: maxBodyBytes)
    }
}
