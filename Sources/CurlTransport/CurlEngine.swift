import CCurl
import Configuration
import Foundation
import Polling
import RunStatusModel
import Synchronization

/// The thread that owns the multi handle and every easy handle; others only submit commands and wake it.
final class CurlEngine: @unchecked Sendable {
    // @unchecked: `multi` is only used by the curl thread, except `curl_multi_wakeup`, which is thread-safe; the
    // other mutable state is either the inbox (behind a Mutex) or touched by the curl thread alone.
    enum Command { case start(CurlTransfer), cancel(CurlTransfer) }

    let maxHeaderBytes: Int
    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex<(commands: [Command], stopping: Bool)>(([], false))
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    private var idle: [UnsafeMutableRawPointer] = []
    private let pemFiles = PEMFiles()

    static let maxRedirects = 5
    private static let maxIdleHandles = 64
    /// curl_global_init is not to run concurrently with other libcurl use: once, before the first multi handle.
    private static let globalInit: CURLcode = ccurl_global_init()

    init(maxConnectionsPerHost: Int, maxHeaderBytes: Int) {
        _ = Self.globalInit
        self.maxHeaderBytes = maxHeaderBytes
        multi = curl_multi_init()
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max(1, maxConnectionsPerHost))
        let thread = Thread { [self] in run() }
        thread.name = "curl"
        thread.start()
    }

    func submit(_ command: Command) {
        inbox.withLock { $0.commands.append(command) }
        curl_multi_wakeup(multi)
    }

    func stop() {
        inbox.withLock { $0.stopping = true }
        curl_multi_wakeup(multi)
    }

    // MARK: the curl thread

    private func run() {
        var running: Int32 = 0
        var descriptors: Int32 = 0
        while true {
            let (commands, stopping) = inbox.withLock { state in
                defer { state.commands.removeAll(keepingCapacity: true) }
                return (state.commands, state.stopping)
            }
            for command in commands {
                switch command {
                case .start(let transfer): start(transfer)
                case .cancel(let transfer): cancel(transfer)
                }
            }
            if stopping {
                for transfer in Array(active.values) { cancel(transfer) }
                break
            }
            curl_multi_perform(multi, &running)
            collectFinished()
            // libcurl shortens the wait to its own next timer and submit() wakes it: the long idle wait only
            // spares an idle exporter needless wake-ups.
            curl_multi_poll(multi, nil, 0, active.isEmpty ? 60_000 : 1000, &descriptors)
        }
        for easy in idle { curl_easy_cleanup(easy) }
        idle = []
        curl_multi_cleanup(multi)
    }

    private func start(_ transfer: CurlTransfer) {
        if transfer.cancelled.load(ordering: .acquiring) { return complete(transfer, .failure(CurlFetcher.cancelledError)) }
        guard let easy = idle.popLast() ?? curl_easy_init() else {
            return complete(transfer, .failure(PollError(.connection, "libcurl could not create a handle")))
        }
        transfer.easy = easy
        if let problem = configure(easy, transfer) {
            release(transfer)
            return complete(transfer, .failure(problem))
        }
        let added = curl_multi_add_handle(multi, easy)
        guard added == CURLM_OK else {
            release(transfer)
            return complete(transfer, .failure(PollError(.connection, "libcurl refused the transfer (multi code \(added.rawValue))")))
        }
        active[easy] = transfer
    }

    private func cancel(_ transfer: CurlTransfer) {
        // Not active: not started yet (start() will see the flag) or already answered.
        guard let easy = transfer.easy, active.removeValue(forKey: easy) != nil else { return }
        // Removing a transfer mid-way makes libcurl close its connection rather than reuse it.
        curl_multi_remove_handle(multi, easy)
        release(transfer)
        complete(transfer, .failure(CurlFetcher.cancelledError))
    }

    private func collectFinished() {
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            guard let transfer = active.removeValue(forKey: easy) else { continue }
            curl_multi_remove_handle(multi, easy)
            finish(transfer, easy: easy, code: code)
        }
    }

    private func finish(_ transfer: CurlTransfer, easy: UnsafeMutableRawPointer, code: CURLcode) {
        var status = 0
        _ = ccurl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        guard code == CURLE_OK else {
            release(transfer)
            return complete(transfer, .failure(classify(code, transfer, status: status)))
        }
        if [301, 302, 303, 307, 308].contains(status), transfer.redirects < Self.maxRedirects,
           let next = redirectTarget(easy, transfer), CurlEngine.sameOrigin(transfer.url, next) {
            let remaining = ContinuousClock.now.duration(to: transfer.deadline)
            guard remaining > .milliseconds(1) else {
                release(transfer)
                return complete(transfer, .failure(PollError(.timeout, "request timed out after \(transfer.timeout)s (following a redirect)")))
            }
            transfer.redirects += 1
            transfer.url = next
            transfer.resetAnswer()
            _ = Self.requestURL(next, transfer.client).withCString { ccurl_setopt_string(easy, CURLOPT_URL, $0) }
            let ms = Int(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000)
            _ = ccurl_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, ms))
            if curl_multi_add_handle(multi, easy) == CURLM_OK {
                active[easy] = transfer
                return
            }
        }
        let response = VendorResponse(status: status, headers: transfer.responseHeaders, body: transfer.body)
        release(transfer)
        complete(transfer, .success(response))
    }

    private func redirectTarget(_ easy: UnsafeMutableRawPointer, _ transfer: CurlTransfer) -> String? {
        var pointer: UnsafeMutablePointer<CChar>?
        guard ccurl_getinfo_string(easy, CURLINFO_REDIRECT_URL, &pointer) == CURLE_OK, let pointer else { return nil }
        let next = String(cString: pointer)
        // With server_name, libcurl was given that name as the host: a Location on it is the configured host.
        guard let serverName = transfer.client.tls.serverName, var url = URLComponents(string: next),
              url.host?.lowercased() == serverName.lowercased(), let original = URLComponents(string: transfer.url) else { return next }
        url.host = original.host
        return url.string ?? next
    }

    /// With `server_name`, libcurl is asked for the URL on that name (so SNI and the certificate check use it) and
    /// CURLOPT_CONNECT_TO sends the connection to the configured host; the Host header stays the configured one.
    static func requestURL(_ url: String, _ client: ClientConfig) -> String {
        guard let serverName = client.tls.serverName, var comps = URLComponents(string: url),
              comps.scheme?.lowercased() == "https" else { return url }
        comps.host = serverName
        return comps.string ?? url
    }

    static func isHTTP(_ url: String) -> Bool {
        let scheme = url.prefix { $0 != ":" }.lowercased()
        return scheme == "http" || scheme == "https"
    }

    /// Same scheme, host and port (a missing port is the scheme's default).
    static func sameOrigin(_ a: String, _ b: String) -> Bool {
        guard let x = URLComponents(string: a), let y = URLComponents(string: b),
              let xs = x.scheme?.lowercased(), let ys = y.scheme?.lowercased(), xs == ys,
              let xh = x.host?.lowercased(), let yh = y.host?.lowercased(), xh == yh else { return false }
        let defaultPort = xs == "https" ? 443 : 80
        return (x.port ?? defaultPort) == (y.port ?? defaultPort)
    }

    /// Hands the easy handle back for the next transfer and frees this one's header list.
    private func release(_ transfer: CurlTransfer) {
        if let list = transfer.headerList { curl_slist_free_all(list) }
        transfer.headerList = nil
        if let list = transfer.connectToList { curl_slist_free_all(list) }
        transfer.connectToList = nil
        guard let easy = transfer.easy else { return }
        transfer.easy = nil
        if idle.count < Self.maxIdleHandles { idle.append(easy) } else { curl_easy_cleanup(easy) }
    }

    private func complete(_ transfer: CurlTransfer, _ result: Result<VendorResponse, PollError>) {
        transfer.body = []
        transfer.continuation?.resume(returning: result)
        transfer.continuation = nil
    }

    /// nil, or why the transfer cannot start (a `tls_config` file unreadable now).
    private func configure(_ easy: UnsafeMutableRawPointer, _ transfer: CurlTransfer) -> PollError? {
        // reset drops every option of the last transfer; the multi handle keeps the connections and DNS cache.
        curl_easy_reset(easy)
        _ = Self.requestURL(transfer.url, transfer.client).withCString { ccurl_setopt_string(easy, CURLOPT_URL, $0) }
        _ = ccurl_setopt_long(easy, CURLOPT_HTTPGET, 1)
        _ = ccurl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = ccurl_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0)
        let ms = Int(min(max(transfer.timeout, 0.001), 86_400) * 1000)
        _ = ccurl_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, ms))
        _ = ccurl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, max(1, ms))
        _ = ccurl_setopt_off_t(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(transfer.maxBodyBytes))
        // "": every encoding this libcurl decodes; the write callback sees (and bounds) the decoded bytes.
        _ = ccurl_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, "")
        let tls = transfer.client.tls
        _ = ccurl_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, tls.insecureSkipVerify ? 0 : 1)
        _ = ccurl_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, tls.insecureSkipVerify ? 0 : 2)
        for (key, path, option) in [("ca_file", tls.caFile, CURLOPT_CAINFO_BLOB), ("cert_file", tls.certFile, CURLOPT_SSLCERT_BLOB),
                                    ("key_file", tls.keyFile, CURLOPT_SSLKEY_BLOB)] {
            guard let path else { continue }
            switch pemFiles.bytes(path) {
            case .success(let bytes): _ = bytes.withUnsafeBytes { ccurl_setopt_blob(easy, option, $0.baseAddress, $0.count) }
            case .failure(let e): return PollError(.certificate, "tls_config.\(key) \(e.why)")
            }
        }
        if let version = tls.minVersion, let level = Self.sslVersions[version] {
            _ = ccurl_setopt_long(easy, CURLOPT_SSLVERSION, level)
        }
        if let serverName = tls.serverName,
           let url = URLComponents(string: transfer.url), url.scheme?.lowercased() == "https", let host = url.host {
            let port = url.port ?? 443
            let target = host.contains(":") ? "[\(host)]" : host
            transfer.connectToList = curl_slist_append(nil, "\(serverName):\(port):\(target):\(port)")
            _ = ccurl_setopt_slist(easy, CURLOPT_CONNECT_TO, transfer.connectToList)
        }
        let client = transfer.client
        if let proxy = client.proxyURL {
            _ = ccurl_setopt_string(easy, CURLOPT_PROXY, proxy)
            _ = ccurl_setopt_string(easy, CURLOPT_NOPROXY, client.noProxy ?? "")
        } else if client.proxyFromEnvironment {
            // Unset, libcurl reads HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY itself.
            if let noProxy = client.noProxy { _ = ccurl_setopt_string(easy, CURLOPT_NOPROXY, noProxy) }
        } else {
            // "" is libcurl's "no proxy, whatever the environment says".
            _ = ccurl_setopt_string(easy, CURLOPT_PROXY, "")
        }
        _ = ccurl_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        _ = ccurl_setopt_write_callback(easy, CURLOPT_WRITEFUNCTION, curlWriteBody)
        _ = ccurl_setopt_pointer(easy, CURLOPT_WRITEDATA, context)
        _ = ccurl_setopt_write_callback(easy, CURLOPT_HEADERFUNCTION, curlWriteHeader)
        _ = ccurl_setopt_pointer(easy, CURLOPT_HEADERDATA, context)
        var list: UnsafeMutablePointer<curl_slist>?
        if transfer.connectToList != nil, !transfer.headers.keys.contains(where: { $0.lowercased() == "host" }),
           let url = URLComponents(string: transfer.url), let host = url.host {
            let shown = host.contains(":") ? "[\(host)]" : host
            list = curl_slist_append(list, url.port.map { "Host: \(shown):\($0)" } ?? "Host: \(shown)")
        }
        for (name, value) in transfer.headers {
            // "Name;" is libcurl's spelling of a header sent empty ("Name:" would remove it).
            let line = value.isEmpty ? "\(name);" : "\(name): \(value)"
            list = curl_slist_append(list, line)
        }
        transfer.headerList = list
        if let list { _ = ccurl_setopt_slist(easy, CURLOPT_HTTPHEADER, list) }
        return nil
    }

    private static let sslVersions: [String: Int] = [
        "TLS10": Int(CURL_SSLVERSION_TLSv1_0), "TLS11": Int(CURL_SSLVERSION_TLSv1_1),
        "TLS12": Int(CURL_SSLVERSION_TLSv1_2), "TLS13": Int(CURL_SSLVERSION_TLSv1_3),
    ]

    /// Maps libcurl's result codes onto the poll-error reasons. Messages hold no URL (it may carry userinfo) and no
    /// header value: libcurl's fixed description of the code, never its error buffer.
    private func classify(_ code: CURLcode, _ transfer: CurlTransfer, status: Int) -> PollError {
        let answered = status > 0 ? status : nil
        if let bound = transfer.overBound {
            switch bound {
            case .body: return PollError(.tooLarge, "response body exceeds the \(transfer.maxBodyBytes)-byte bound", status: answered)
            case .headers: return PollError(.tooLarge, "response headers exceed the \(transfer.maxHeaderBytes)-byte bound", status: answered)
            }
        }
        let text = String(cString: curl_easy_strerror(code))
        // libcurl refuses a single header line past its own limit (100 KiB) before our header callback sees it:
        // CURLE_OUT_OF_MEMORY up to 8.5, CURLE_TOO_LARGE (100) since. Before any body byte, that is the head.
        if code.rawValue == 100 || (code == CURLE_OUT_OF_MEMORY && !transfer.bodyStarted) {
            return PollError(.tooLarge, "a response header line exceeds libcurl's limit (100 KiB)", status: answered)
        }
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return PollError(.timeout, "request timed out after \(transfer.timeout)s", status: answered)
        case CURLE_FILESIZE_EXCEEDED:
            return PollError(.tooLarge, "announced response body exceeds the \(transfer.maxBodyBytes)-byte bound", status: answered)
        case CURLE_COULDNT_CONNECT:
            return PollError(.connection, "connection refused or unreachable")
        case CURLE_COULDNT_RESOLVE_HOST:
            return PollError(.connection, "host name not found")
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
            return PollError(.connection, "connection lost (\(text))", status: answered)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS:
            return PollError(.certificate, "the vendor's certificate could not be verified (\(text)): set tls_config.ca_file to the CA "
                             + "that signed it, or tls_config.server_name to the name it carries")
        case CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE:
            return PollError(.certificate, "a tls_config certificate or key is not usable (\(text)): check ca_file, cert_file and key_file")
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CIPHER, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE,
             CURLE_USE_SSL_FAILED, CURLE_SSL_CLIENTCERT:
            return PollError(.connection, "TLS handshake failed (\(text))")
        case CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return PollError(.notHTTP, "the answer is not well-formed HTTP (\(text)); is the url's host and port the vendor's API?",
                             status: answered)
        case CURLE_BAD_CONTENT_ENCODING:
            return PollError(.decode, "response body does not decode (\(text))", status: answered)
        case CURLE_UNSUPPORTED_PROTOCOL where Self.isHTTP(transfer.url):
            // Our URLs are http(s), so this is libcurl refusing an answer without a status line (HTTP/0.9).
            return PollError(.notHTTP, "the answer has no HTTP status line; is the url's host and port the vendor's API?")
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return PollError(.badRequest, "URL not usable (\(text))")
        default:
            return PollError(.connection, "transport error \(code.rawValue) (\(text))", status: answered)
        }
    }
}

/// CURLOPT_WRITEFUNCTION: keeps the (decoded) body up to the bound; returning short of `count` aborts the transfer
/// at once with CURLE_WRITE_ERROR, and libcurl closes that connection.
private let curlWriteBody: curl_write_callback = { buffer, size, count, context in
    guard let buffer, let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    let n = size * count
    transfer.bodyStarted = true
    guard transfer.body.count + n <= transfer.maxBodyBytes else {
        transfer.overBound = .body
        transfer.body = []
        return 0
    }
    transfer.body.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: n))
    return n
}

/// CURLOPT_HEADERFUNCTION: one whole header line per call (status line included); bounds the head and keeps the
/// fields with lower-cased names. A new status line (after a 1xx) starts the fields over.
private let curlWriteHeader: curl_write_callback = { buffer, size, count, context in
    guard let buffer, let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    let n = size * count
    transfer.headerBytes += n
    guard transfer.headerBytes <= transfer.maxHeaderBytes else {
        transfer.overBound = .headers
        return 0
    }
    let line = UnsafeRawBufferPointer(start: buffer, count: n)
    if line.starts(with: "HTTP/".utf8) {
        transfer.responseHeaders = [:]
        return n
    }
    guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return n }
    let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
    let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    if let earlier = transfer.responseHeaders[name] {
        transfer.responseHeaders[name] = earlier + ", " + value
    } else {
        transfer.responseHeaders[name] = value
    }
    return n
}
