import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import RunStatusModel
import Synchronization

/// Makes one HTTP GET. A protocol so tests and benchmarks can swap the transport.
public protocol Fetcher: Sendable {
    /// Never throws: transport failures come back as a classified `PollError`.
    func get(_ url: URL, headers: [String: String], timeout: Double, maxBodyBytes: Int) async -> Result<VendorResponse, PollError>
}

/// The production fetcher: one URLSession (FoundationNetworking, libcurl underneath) shared by every target, whose
/// delegate counts body bytes and cancels an answer past the bound, so a 64 MiB reply is `too_large`, not an OOM.
public final class URLSessionFetcher: NSObject, Fetcher, URLSessionDataDelegate, @unchecked Sendable {
    // @unchecked: the only mutable state is `tasks`, behind a Mutex; URLSession is documented thread-safe.
    private var session: URLSession!
    private let tasks = Mutex<[Int: TaskState]>([:])

    private struct TaskState {
        var continuation: CheckedContinuation<Result<VendorResponse, PollError>, Never>
        var limit: Int
        var body: [UInt8] = []
        var response: HTTPURLResponse?
        var tooLarge = false
    }

    public init(maxConnectionsPerHost: Int = 16) {
        super.init()
        let config = URLSessionConfiguration.ephemeral
        config.httpMaximumConnectionsPerHost = maxConnectionsPerHost
        config.urlCache = nil
        config.httpCookieStorage = nil
        config.httpShouldSetCookies = false
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        session = URLSession(configuration: config, delegate: self, delegateQueue: queue)
    }

    deinit { session.invalidateAndCancel() }

    public func get(_ url: URL, headers: [String: String], timeout: Double, maxBodyBytes: Int) async -> Result<VendorResponse, PollError> {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "GET"
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let task = session.dataTask(with: request)
        let id = task.taskIdentifier
        // A request may hang in ways the per-request timeout does not catch (a body that drips slowly):
        // a watchdog bounds the whole exchange.
        let watchdog = Task {
            try? await Task.sleep(for: .seconds(timeout + 1))
            if !Task.isCancelled { task.cancel() }
        }
        defer { watchdog.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                tasks.withLock { $0[id] = TaskState(continuation: continuation, limit: maxBodyBytes) }
                task.resume()
            }
        } onCancel: {
            task.cancel()
        }
    }

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                           completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let http = response as? HTTPURLResponse
        let tooLarge = tasks.withLock { t -> Bool in
            guard var state = t[dataTask.taskIdentifier] else { return false }
            state.response = http
            // Refuse early when the server announces a body past the bound.
            if let length = http?.value(forHTTPHeaderField: "Content-Length").flatMap(Int.init), length > state.limit {
                state.tooLarge = true
            }
            t[dataTask.taskIdentifier] = state
            return state.tooLarge
        }
        completionHandler(tooLarge ? .cancel : .allow)
    }

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let cancel = tasks.withLock { t -> Bool in
            guard var state = t[dataTask.taskIdentifier], !state.tooLarge else { return false }
            if state.body.count + data.count > state.limit {
                state.tooLarge = true
                state.body = []
            } else {
                state.body.append(contentsOf: data)
            }
            t[dataTask.taskIdentifier] = state
            return state.tooLarge
        }
        if cancel { dataTask.cancel() }
    }

    public func urlSession(_ session: URLSession, task: URLSessionTask,
                           willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest,
                           completionHandler: @escaping (URLRequest?) -> Void) {
        // Credentials ride in headers: follow a redirect only within the same origin, never to another host.
        let from = task.originalRequest?.url
        let to = request.url
        let sameOrigin = from?.scheme == to?.scheme && from?.host == to?.host && from?.port == to?.port
        completionHandler(sameOrigin ? request : nil)
    }

    public func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let state = tasks.withLock({ $0.removeValue(forKey: task.taskIdentifier) }) else { return }
        let result: Result<VendorResponse, PollError>
        if state.tooLarge {
            result = .failure(PollError(.tooLarge, "response body exceeds the \(state.limit)-byte bound",
                                        status: state.response?.statusCode))
        } else if let error {
            result = .failure(Self.classify(error))
        } else if let http = state.response {
            var headers: [String: String] = [:]
            for (k, v) in http.allHeaderFields {
                if let k = k as? String, let v = v as? String { headers[k.lowercased()] = v }
            }
            result = .success(VendorResponse(status: http.statusCode, headers: headers, body: state.body))
        } else {
            result = .failure(PollError(.connection, "no HTTP response"))
        }
        state.continuation.resume(returning: result)
    }

    /// Maps URLSession's errors onto the poll-error reasons. Messages carry no URL (it may hold userinfo).
    static func classify(_ error: any Error) -> PollError {
        guard let e = error as? URLError else { return PollError(.connection, String(describing: type(of: error))) }
        switch e.code {
        case .timedOut: return PollError(.timeout, "request timed out")
        case .cancelled: return PollError(.timeout, "request cancelled (deadline reached or shutting down)")
        case .cannotConnectToHost: return PollError(.connection, "connection refused")
        case .cannotFindHost, .dnsLookupFailed: return PollError(.connection, "host name not found")
        case .networkConnectionLost: return PollError(.connection, "connection lost")
        case .notConnectedToInternet: return PollError(.connection, "network unreachable")
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .clientCertificateRejected:
            return PollError(.connection, "TLS handshake failed (\(e.code.rawValue))")
        case .badServerResponse, .cannotParseResponse, .cannotDecodeRawData, .cannotDecodeContentData:
            return PollError(.decode, "malformed HTTP response (\(e.code.rawValue))")
        case .dataLengthExceedsMaximum: return PollError(.tooLarge, "response body too large")
        case .httpTooManyRedirects, .redirectToNonExistentLocation:
            return PollError(.connection, "redirect refused (\(e.code.rawValue))")
        default: return PollError(.connection, "transport error \(e.code.rawValue)")
        }
    }
}
