import CCurl
import Configuration
import Foundation
import Polling
import RunStatusModel
import Synchronization

/// The production fetcher: libcurl driven directly, so the response bound is real. A write callback that refuses
/// the byte past the bound aborts the transfer at once (nothing is queued behind it), CURLOPT_MAXFILESIZE_LARGE
/// refuses an announced body before reading it, and an aborted transfer's connection is closed, never reused.
///
/// One dedicated thread runs libcurl's multi interface (`curl_multi_poll`), rather than a pool of threads each
/// blocked in `curl_easy_perform`: any number of concurrent requests costs one thread, connections are kept alive
/// and shared per host in the multi handle's cache, and a cancelled Task's transfer is removed at once (woken by
/// `curl_multi_wakeup`) instead of at the next progress callback. Nothing blocks Swift's cooperative pool:
/// callers await a continuation the curl thread resumes.
///
/// Redirects: libcurl's CURLOPT_FOLLOWLOCATION is off; a 3xx whose Location is on the same origin (scheme, host,
/// port) is followed here, up to 5 times, within the one timeout. A redirect elsewhere is returned as the 3xx
/// answer itself, so credentials (which ride in headers) never reach another host; the adapters count it as
/// `redirect`.
///
/// Client settings (`ClientConfig`): the CA, client certificate and key are handed to libcurl as bytes
/// (CURLOPT_*_BLOB) read by `PEMFiles`, which reads a file again when its stamp (inode, size, mtime) changes.
/// libcurl reuses a kept-alive connection, or a TLS session, only for a transfer whose TLS settings compare equal,
/// blobs by content: a rotated certificate therefore gets new connections at once, and the old ones idle out.
/// The proxy environment (`HTTPS_PROXY`, …) is ignored unless `proxy_from_environment` asks for it.
public final class CurlFetcher: Fetcher {
    private let engine: CurlEngine

    /// - Parameters:
    ///   - maxConnectionsPerHost: libcurl queues transfers past this many connections to one host.
    ///   - maxHeaderBytes: bound on the response head (all header lines); past it the answer is `too_large`.
    public init(maxConnectionsPerHost: Int = 16, maxHeaderBytes: Int = 64 << 10) {
        engine = CurlEngine(maxConnectionsPerHost: maxConnectionsPerHost, maxHeaderBytes: maxHeaderBytes)
    }

    deinit { engine.stop() }

    public func get(_ url: URL, headers: [String: String], timeout: Double, maxBodyBytes: Int) async -> Result<VendorResponse, PollError> {
        await get(url, headers: headers, timeout: timeout, maxBodyBytes: maxBodyBytes, client: ClientConfig())
    }

    public func get(_ url: URL, headers: [String: String], timeout: Double, maxBodyBytes: Int,
                    client: ClientConfig) async -> Result<VendorResponse, PollError> {
        // libcurl sends header lines as given: a line break in one would smuggle another header (or request) in.
        for (name, value) in headers where Self.breaksLine(name) || Self.breaksLine(value) || name.contains(":") {
            return .failure(PollError(.badRequest, "request header \(Self.breaksLine(name) ? "name" : name) holds a line break or colon"))
        }
        let transfer = CurlTransfer(url: url.absoluteString, headers: headers, client: client, timeout: timeout,
                                    maxBodyBytes: maxBodyBytes, maxHeaderBytes: engine.maxHeaderBytes)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                transfer.continuation = continuation
                engine.submit(.start(transfer))
            }
        } onCancel: {
            // Either the curl thread sees the flag when it starts the transfer, or the transfer is running and
            // the cancel command removes it: whichever comes second acts.
            transfer.cancelled.store(true, ordering: .releasing)
            engine.submit(.cancel(transfer))
        }
    }

    private static func breaksLine(_ s: String) -> Bool {
        s.utf8.contains { $0 == 13 || $0 == 10 || $0 == 0 }
    }

    /// A cancelled transfer's answer. Only a cancelled Task gets it, and the poller counts nothing of such a request.
    static let cancelledError = PollError(.timeout, "request cancelled (deadline reached or shutting down)")
}
