import CCurl
import Configuration
import Foundation
import Polling
import RunStatusModel
import Synchronization

/// One request, from `get` to its answer. The curl thread owns every `var` once `.start` is submitted.
final class CurlTransfer: @unchecked Sendable {
    var url: String
    let headers: [String: String]
    let client: ClientConfig
    let timeout: Double
    let deadline: ContinuousClock.Instant
    let maxBodyBytes: Int
    let maxHeaderBytes: Int
    let cancelled = Atomic<Bool>(false)
    var continuation: CheckedContinuation<Result<VendorResponse, PollError>, Never>?

    var easy: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    /// CURLOPT_CONNECT_TO's list (`server_name`); libcurl keeps the pointer until the transfer ends.
    var connectToList: UnsafeMutablePointer<curl_slist>?
    var body: [UInt8] = []
    var responseHeaders: [String: String] = [:]
    var headerBytes = 0
    var overBound: Bound?
    /// A body byte arrived: the head of the answer is complete.
    var bodyStarted = false
    var redirects = 0

    enum Bound { case body, headers }

    init(url: String, headers: [String: String], client: ClientConfig = ClientConfig(), timeout: Double, maxBodyBytes: Int, maxHeaderBytes: Int) {
        self.url = url
        self.headers = headers
        self.client = client
        self.timeout = timeout
        self.deadline = .now + .milliseconds(Int64(max(timeout, 0.001) * 1000))
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
    }

    /// Forgets what an earlier answer in a redirect chain left.
    func resetAnswer() {
        body = []
        bodyStarted = false
        responseHeaders = [:]
        headerBytes = 0
    }
}
