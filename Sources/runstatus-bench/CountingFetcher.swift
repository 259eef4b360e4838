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

/// The real fetcher, counting the requests the poller makes (the cycle's request count and rate) and the answers
/// that were not a 2xx, so a benchmark that silently measured errors is noticed.
final class CountingFetcher: Fetcher {
    let inner: any Fetcher
    private let requestCount = Atomic<Int>(0)
    private let failureCount = Atomic<Int>(0)

    init(_ inner: any Fetcher) {
        self.inner = inner
    }

    var requests: Int { requestCount.load(ordering: .relaxed) }
    var failures: Int { failureCount.load(ordering: .relaxed) }

    func get(_ url: URL, headers: [String: String], timeout: Double, maxBodyBytes: Int) async -> Result<VendorResponse, PollError> {
        let result = await inner.get(url, headers: headers, timeout: timeout, maxBodyBytes: maxBodyBytes)
        requestCount.add(1, ordering: .relaxed)
        switch result {
        case .success(let response) where (200..<300).contains(response.status): break
        default: failureCount.add(1, ordering: .relaxed)
        }
        return result
    }
}
