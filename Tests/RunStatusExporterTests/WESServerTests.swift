import ChildProcesses
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Glibc
import Testing
@testable import Configuration
@testable import CurlTransport
@testable import Logging
@testable import Polling
@testable import RunStatusExporter
@testable import RunStore
@testable import Serving

/// Discovery against a real GA4GH WES server: the reference `wes-server` (`pip install wes-service cwltool`) running
/// cwltool without containers on a loopback port. It names its list `workflows`, ignores `page_size` and reports
/// empty times: what a real server does wins over what the spec says.
@Suite struct WESServerTests {
    static let wesServer = executable("wes-server")
    static let cwltool = executable("cwltool")

    static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static let tool = """
    cwlVersion: v1.0
    class: CommandLineTool
    baseCommand: [sh, -c]
    inputs:
      script:
        type: string
        inputBinding: {position: 1}
    outputs: []

    """

    @Test(.enabled(if: wesServer != nil && cwltool != nil,
                   "wes-server or cwltool not installed (pip install wes-service cwltool); .ci/run installs them"),
          .timeLimit(.minutes(2)))
    func discoveryFindsTheRunsOfARealWESServer() async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "wes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try freeLoopbackPort()
        // Its own process group, so the cwltool runs it starts are stopped with it.
        let server = try ProcessGroup(["/bin/sh", "-c", "cd \"$0\" && exec \"$1\" --backend=wes_service.cwl_runner --opt runner=cwltool "
                                        + "--opt extra=--no-container --port \(port)",
                                       directory.path, Self.wesServer!], log: directory.appending(path: "wes-server.log"))
        defer { server.kill() }
        let root = "http://127.0.0.1:\(port)/ga4gh/wes/v1"
        let up = await eventually(timeout: 60) { (try? await httpGet(root + "/service-info").0) == 200 }
        try #require(up, "wes-server never answered:\n\(server.logTail())")

        var ids: [String: String] = [:]
        for (name, script) in [("ok", "echo hello"), ("fails", "exit 3"), ("runs", "sleep 60")] {
            ids[name] = try await submit(root, script: script)
        }
        // cwltool takes a few seconds to start each run.
        let settled = await eventually(timeout: 60) {
            let ok = try? await httpGet(root + "/runs/\(ids["ok"]!)/status").2
            let fails = try? await httpGet(root + "/runs/\(ids["fails"]!)/status").2
            return ok?.contains("COMPLETE") == true && fails?.contains("EXECUTOR_ERROR") == true
        }
        try #require(settled, "the runs never finished:\n\(server.logTail())")

        let target = TargetConfig(name: "wes-server", vendor: .wes, url: root, runs: [], pollInterval: 1, timeout: 10,
                                  discover: DiscoveryConfig(pageSize: 2))
        let config = ExporterConfig(targets: [target])
        let store = MetricsStore(config: config)
        let logs = LogCapture()
        let poller = Poller(store: store, fetcher: CurlFetcher(), logger: logs.logger)
        poller.start(config)
        let routes = Routes(store: store, config: config)
        func metrics() -> [String: Double] { parseExposition(String(decoding: routes.render(format: .text).body, as: UTF8.self)) }
        func state(_ name: String, _ state: String) -> Double? {
            metrics()["runstatus_run_state{vendor=\"wes\",target=\"wes-server\",run_id=\"\(ids[name]!)\",state=\"\(state)\"}"]
        }
        let found = await eventually(timeout: 30) {
            state("ok", "succeeded") == 1 && state("fails", "failed") == 1 && state("runs", "running") == 1
        }
        await poller.stop()
        #expect(found, "discovery did not find the three runs:\n\(logs.all.suffix(20).joined(separator: "\n"))")
        let m = metrics()
        #expect(m["runstatus_discovered_runs{vendor=\"wes\",target=\"wes-server\"}"] == 3)
        #expect(m["runstatus_run_info{vendor=\"wes\",target=\"wes-server\",run_id=\"\(ids["fails"]!)\",vendor_state=\"EXECUTOR_ERROR\"}"] == 1)
        #expect(m["runstatus_up{vendor=\"wes\",target=\"wes-server\"}"] == 1)
        let errors = m.filter { $0.key.hasPrefix("runstatus_poll_errors_total") }.values.reduce(0, +)
        #expect(errors == 0, "\(logs.all.suffix(20).joined(separator: "\n"))")
        // It sends its times as empty strings: no start time, and no error for it.
        #expect(!m.keys.contains { $0.hasPrefix("runstatus_run_start_timestamp_seconds") })
    }

    /// `POST /runs` as a multipart form with the tool attached; the new run's id.
    func submit(_ root: String, script: String) async throws -> String {
        let boundary = "runstatus-\(UUID().uuidString)"
        var body = ""
        func field(_ name: String, _ value: String, filename: String? = nil) {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\""
            if let filename { body += "; filename=\"\(filename)\"\r\nContent-Type: text/plain" }
            body += "\r\n\r\n\(value)\r\n"
        }
        field("workflow_url", "tool.cwl")
        field("workflow_params", #"{"script": "\#(script)"}"#)
        field("workflow_type", "CWL")
        field("workflow_type_version", "v1.0")
        field("workflow_attachment", Self.tool, filename: "tool.cwl")
        body += "--\(boundary)--\r\n"
        var request = URLRequest(url: URL(string: root + "/runs")!, timeoutInterval: 30)
        request.httpMethod = "POST"
        request.setValue("multipart/form-data; boundary=\(boundary)", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let id = try #require(object?["run_id"] as? String, "POST /runs answered \(status): \(String(decoding: data, as: UTF8.self))")
        return id
    }

    func freeLoopbackPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { throw POSIXError(.EADDRINUSE) }
        return UInt16(bigEndian: address.sin_port)
    }
}

/// A child in a process group of its own (posix_spawn: no signal blocked, output to a log), so that killing the group
/// ends everything it started. Foundation's `Process` can do neither.
final class ProcessGroup: Sendable {
    let pid: pid_t
    let log: URL

    init(_ argv: [String], log: URL) throws {
        self.log = log
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var child: pid_t = 0
        let status = SpawnAttributes.withLogging(to: log.path) { files in
            SpawnAttributes.withClean(newProcessGroup: true) { posix_spawn(&child, argv[0], &files, &$0, cArgs, environ) }
        }
        guard status == 0 else { throw POSIXError(POSIXErrorCode(rawValue: status) ?? .ENOENT) }
        pid = child
    }

    /// SIGKILL to the whole group, then reap the leader (it is gone within moments of SIGKILL).
    func kill() {
        Glibc.kill(-pid, SIGKILL)
        var status: Int32 = 0
        for _ in 0..<200 where waitpid(pid, &status, WNOHANG) == 0 { usleep(10_000) }
    }

    func logTail() -> String {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? "(no log)"
        return text.split(separator: "\n").suffix(20).joined(separator: "\n")
    }
}
