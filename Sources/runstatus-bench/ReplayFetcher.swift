import Configuration
import CurlTransport
import Demo
import Foundation
import Logging
import Polling
import RunStatusModel
import RunStore
import Serving
import Synchronization

/// `--fetcher=replay`: the first request to each URL goes through the real fetcher, later ones get that answer
/// again without any I/O. A cycle over replayed answers costs what the exporter spends besides the transport
/// (poller, adapters, store, logging), which splits the CPU per request into its two parts.
final class ReplayFetcher: Fetcher {
    let inner: any Fetcher
    private let recorded = Mutex<[URL: VendorResponse]>([:])

    init(_ inner: any Fetcher) {
        self.inner = inner
    }

    func get(_ url: URL, headers: [String: String], timeout: Double, maxBodyBytes: Int) async -> Result<VendorResponse, PollError> {
        if let response = recorded.withLock({ $0[url] }) { return .success(response) }
        let result = await inner.get(url, headers: headers, timeout: timeout, maxBodyBytes: maxBodyBytes)
        if case .success(let response) = result { recorded.withLock { $0[url] = response } }
        return result
    }
}
